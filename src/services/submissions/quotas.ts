// Limits on what can be stored: per testimony for additions through a codename, and in all
// (STORAGE_LIMIT_GB). Counts come from the stored rows, never from counters kept per source.
import type { UsageRepository } from "../../storage/usage.repo.js";
import { dayOf } from "../interview/draft-store.js";

export interface AdditionLimits {
  files: number;
  megabytes: number;
  messagesPerDay: number;
}

export type AdditionLimit = "files" | "bytes" | "messages";

const MB = 1024 * 1024;
const GB = 1024 * MB;
/** Editors are told once when storage passes this share of the limit… */
const WARN_AT = 0.8;
/** …and again only after it has gone below this one (purges) and passed WARN_AT once more. */
const REARM_BELOW = 0.75;

export interface StorageWarning {
  percent: number;
  usedGb: string;
  limitGb: string;
}

/** The file system that holds the embedded database (DATA_DIR), as statfs sees it. */
export interface DiskSpace {
  totalBytes: number;
  freeBytes: number;
}

/** Files are refused while less than this would be left on the disk after them. */
const DISK_RESERVE = 64 * MB;

export function createQuotaService(deps: {
  usage: UsageRepository;
  /** The real free space of the data directory's disk (embedded database only). */
  disk?: () => DiskSpace | undefined;
  additions: AdditionLimits;
  storageLimitGb: number;
  /** Sends the editors' chat a notice with no content (percent and sizes only). */
  onStorageWarning: (warning: StorageWarning) => Promise<void>;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  const limitBytes = deps.storageLimitGb * GB;
  let warned = false;

  return {
    /**
     * The limit an addition would go past (with the limit's value, for the answer), or undefined.
     * `fileSize`: the size Telegram gives for a file; absent for a text.
     */
    async additionRefused(
      submissionId: string,
      fileSize?: number,
    ): Promise<{ limit: AdditionLimit; value: number } | undefined> {
      const used = await deps.usage.additions(submissionId, dayOf(now()));
      const { files, megabytes, messagesPerDay } = deps.additions;
      if (used.messagesToday >= messagesPerDay) return { limit: "messages", value: messagesPerDay };
      if (fileSize === undefined) return undefined;
      if (used.files >= files) return { limit: "files", value: files };
      if (used.bytes + fileSize > megabytes * MB) return { limit: "bytes", value: megabytes };
      return undefined;
    },

    /** Whether a file of `incoming` bytes would take storage past its limit. */
    async storageFull(incoming = 0): Promise<boolean> {
      const disk = deps.disk?.();
      if (disk && disk.freeBytes - incoming < DISK_RESERVE) return true;
      return (await deps.usage.totalBytes()) + incoming > limitBytes;
    },

    /**
     * Tells the editors once when storage has passed 80% of STORAGE_LIMIT_GB or of the data
     * directory's disk (run from the periodic sweep).
     */
    async checkStorage(): Promise<StorageWarning | undefined> {
      // Whichever is fuller: the quota, or the disk itself (which other files share).
      const quota = { used: await deps.usage.totalBytes(), limit: limitBytes };
      const disk = deps.disk?.();
      const { used, limit } =
        disk && (disk.totalBytes - disk.freeBytes) / disk.totalBytes > quota.used / quota.limit
          ? { used: disk.totalBytes - disk.freeBytes, limit: disk.totalBytes }
          : quota;
      if (used < REARM_BELOW * limit) warned = false;
      if (warned || used < WARN_AT * limit) return undefined;
      warned = true;
      const warning = {
        percent: Math.floor((100 * used) / limit),
        usedGb: (used / GB).toFixed(1),
        limitGb: limit === limitBytes ? String(deps.storageLimitGb) : (limit / GB).toFixed(1),
      };
      await deps.onStorageWarning(warning);
      return warning;
    },
  };
}

export type QuotaService = ReturnType<typeof createQuotaService>;
