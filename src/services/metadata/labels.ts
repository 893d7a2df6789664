// What editors and sources read about a file's cleaning: the editors' label (testimony.md, the
// desk) and the one line a source gets after sending the file, from the same description.
import { LEFT_KINDS, type LeftKind, METADATA_KINDS, type MetadataKind } from "./types.js";

type Translate = (key: string, args?: Record<string, string | number>) => string;

const NOT_CLEANED_REASONS = [
  "unknown-format",
  "unsupported-format",
  "unparseable",
  "too-complex",
  "original",
  "too-large",
];

interface Known {
  cleaned: boolean;
  removed: MetadataKind[];
  left: LeftKind[];
  reason?: string;
}

/** Only known kinds and reasons: a description read from an archive is hostile input. */
function known(cleaning: unknown): Known | undefined {
  if (typeof cleaning !== "object" || cleaning === null) return undefined;
  const { cleaned, removed, left, reason } = cleaning as Record<string, unknown>;
  const pick = <T extends string>(list: readonly T[], value: unknown): T[] =>
    Array.isArray(value) ? list.filter((kind) => value.includes(kind)) : [];
  return {
    cleaned: cleaned === true,
    removed: pick(METADATA_KINDS, removed),
    left: pick(LEFT_KINDS, left),
    reason: typeof reason === "string" && NOT_CLEANED_REASONS.includes(reason) ? reason : undefined,
  };
}

const kindsOf = (t: Translate, description: Known) => ({
  kinds: description.removed.map((kind) => t(`file-kind-${kind}`)).join(", "),
  left: description.left.map((kind) => t(`file-left-${kind}`)).join(", "),
});

/**
 * "cleaned: GPS, camera, dates", "not fully cleaned: left — embedded files; removed: author" or
 * "not cleaned: unknown format". A file is "cleaned" only when nothing is left in it.
 */
export function cleaningLabel(cleaning: unknown, t: Translate): string | undefined {
  const description = known(cleaning);
  if (!description) return undefined;
  const { cleaned, removed, left, reason } = description;
  if (cleaned && left.length > 0) {
    const key =
      removed.length > 0 ? "file-not-fully-cleaned" : "file-not-fully-cleaned-nothing-removed";
    return t(key, kindsOf(t, description));
  }
  if (cleaned) {
    if (removed.length === 0) return t("file-cleaned-nothing");
    return t("file-cleaned", { kinds: kindsOf(t, description).kinds });
  }
  return reason ? t(`file-not-cleaned-${reason}`) : undefined;
}

/**
 * The line a source reads after sending a file: what was removed, what is left, or that it is
 * stored as sent. Nothing for files kept as originals on purpose (the question said so).
 */
export function cleaningNote(cleaning: unknown, t: Translate): string | undefined {
  const description = known(cleaning);
  if (!description) return undefined;
  const { cleaned, removed, left, reason } = description;
  if (cleaned && left.length > 0) {
    const key =
      removed.length > 0
        ? "interview-file-not-fully-cleaned"
        : "interview-file-not-fully-cleaned-nothing-removed";
    return t(key, kindsOf(t, description));
  }
  if (cleaned) {
    if (removed.length === 0) return t("interview-file-cleaned-nothing");
    return t("interview-file-cleaned", { kinds: kindsOf(t, description).kinds });
  }
  if (reason === "original" || reason === undefined) return undefined;
  return t(
    reason === "too-complex"
      ? "interview-file-not-cleaned-too-complex"
      : "interview-file-not-cleaned",
  );
}
