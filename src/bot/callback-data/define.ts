// Typed callback data: one definition per button kind builds the data and parses it back, so
// handlers never match strings by hand or cast what they parsed.

const FIELD = /^[\w-]+$/;
/** Telegram's limit on callback_data. */
const MAX_BYTES = 64;

export interface CallbackData<Field extends string> {
  /** The data for a button, e.g. `answer.pack({ question: "q1", option: "yes" })` → "iv:a:q1:yes". */
  pack(values: Record<Field, string | number>): string;
  /** The values of data built by `pack`, or undefined for anything else (a stale or foreign button). */
  unpack(data: string | undefined): Record<Field, string> | undefined;
  /** Matches exactly the data this definition builds: `composer.callbackQuery(answer.filter, …)`. */
  readonly filter: RegExp;
}

export function createCallbackData<const Field extends string>(
  prefix: string,
  fields: readonly Field[] = [],
): CallbackData<Field> {
  const filter = new RegExp(`^${prefix}${fields.map(() => ":([\\w-]+)").join("")}$`);
  return {
    filter,
    pack(values) {
      const parts = fields.map((field) => {
        const value = String(values[field]);
        if (!FIELD.test(value)) throw new Error(`callback data ${prefix}: bad ${field}`);
        return value;
      });
      const data = [prefix, ...parts].join(":");
      if (Buffer.byteLength(data) > MAX_BYTES) throw new Error(`callback data ${prefix}: too long`);
      return data;
    },
    unpack(data) {
      const match = data === undefined ? null : filter.exec(data);
      if (!match) return undefined;
      const values: Partial<Record<Field, string>> = {};
      fields.forEach((field, index) => {
        values[field] = match[index + 1];
      });
      return values as Record<Field, string>;
    },
  };
}
