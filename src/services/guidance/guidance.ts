// Guidance for sources, written by admins per locale. Every version is kept; readers get the
// newest one in their language, or the default locale's when there is none in theirs.
import type { GuidanceRepository, GuidanceRow } from "../../storage/guidance.repo.js";
import { isLocale, LOCALES, type Locale } from "../locale.js";

/** A Telegram message entity, as plain data (services know nothing of grammY). */
export interface TextEntity {
  type: string;
  offset: number;
  length: number;
  url?: string;
  language?: string;
  custom_emoji_id?: string;
}

/** A text as it will be sent: its formatting is in entities, there is no parse mode. */
export interface MessageContent {
  text: string;
  entities: TextEntity[];
}

export interface GuidanceVersion extends MessageContent {
  locale: Locale;
  version: number;
  createdOn: string;
}

const ENTITY_FIELDS = ["url", "language", "custom_emoji_id"] as const;

/**
 * Keeps only what formatting needs. A text_mention entity carries a Telegram user (id, name):
 * that would put an identifier at rest and in every subscriber's chat, so it is dropped.
 */
export function cleanEntities(entities: readonly object[] | undefined): TextEntity[] {
  const out: TextEntity[] = [];
  for (const raw of entities ?? []) {
    const e = raw as Record<string, unknown>;
    if (typeof e.type !== "string" || e.type === "text_mention") continue;
    if (typeof e.offset !== "number" || typeof e.length !== "number") continue;
    const entity: TextEntity = { type: e.type, offset: e.offset, length: e.length };
    for (const field of ENTITY_FIELDS) {
      if (typeof e[field] === "string") entity[field] = e[field] as string;
    }
    out.push(entity);
  }
  return out;
}

export function createGuidanceService(deps: {
  repo: GuidanceRepository;
  defaultLocale: Locale;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  const toVersion = (row: GuidanceRow): GuidanceVersion => ({
    locale: isLocale(row.locale) ? row.locale : deps.defaultLocale,
    version: row.version,
    text: row.text,
    entities: cleanEntities(row.entities as object[]),
    createdOn: row.createdOn,
  });

  const current = async (locale: Locale): Promise<GuidanceVersion | undefined> => {
    const row = await deps.repo.latest(locale);
    return row ? toVersion(row) : undefined;
  };

  return {
    async publish(locale: Locale, content: MessageContent): Promise<GuidanceVersion> {
      const row = await deps.repo.publish({
        locale,
        text: content.text,
        entities: cleanEntities(content.entities),
        createdOn: now().toISOString().slice(0, 10),
      });
      return toVersion(row);
    },
    current,
    /** The guidance a reader of `locale` gets: theirs, else the default locale's. */
    async forReader(locale: Locale): Promise<GuidanceVersion | undefined> {
      return (await current(locale)) ?? (await current(deps.defaultLocale));
    },
    /** The newest version of every locale that has one. */
    async currentAll(): Promise<Partial<Record<Locale, GuidanceVersion>>> {
      const out: Partial<Record<Locale, GuidanceVersion>> = {};
      for (const locale of LOCALES) {
        const version = await current(locale);
        if (version) out[locale] = version;
      }
      return out;
    },
    async find(locale: Locale, version: number): Promise<GuidanceVersion | undefined> {
      const row = await deps.repo.find(locale, version);
      return row ? toVersion(row) : undefined;
    },
  };
}

export type GuidanceService = ReturnType<typeof createGuidanceService>;
