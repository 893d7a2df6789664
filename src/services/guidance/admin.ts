// What admins may see and what is recorded about what they do: counts and actions, never content.
import type { AuditRepository } from "../../storage/audit.repo.js";
import type { BroadcastsRepository } from "../../storage/broadcasts.repo.js";
import type { DraftsRepository } from "../../storage/drafts.repo.js";
import type { SubmissionsRepository } from "../../storage/submissions.repo.js";
import type { SubscribersRepository } from "../../storage/subscribers.repo.js";
import { hashTelegramId } from "../sources/sealing.js";

export interface AdminStats {
  submissions: Record<string, number>;
  drafts: number;
  subscribers: Record<string, number>;
  broadcasts: Record<string, number>;
}

export function createAdminService(deps: {
  audit: AuditRepository;
  submissions: SubmissionsRepository;
  drafts: DraftsRepository;
  subscribers: SubscribersRepository;
  broadcasts: BroadcastsRepository;
  pepper: Uint8Array;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  return {
    /** One audit row: the action and numbers (versions, counts); the admin only as a hash. */
    async record(adminId: number, action: string, detail: string | null = null): Promise<void> {
      await deps.audit.record({
        action,
        submissionNumber: null,
        detail,
        actorHash: hashTelegramId(deps.pepper, adminId, "admin"),
        day: now().toISOString().slice(0, 10),
      });
    },
    async stats(): Promise<AdminStats> {
      return {
        submissions: await deps.submissions.countByStatus(),
        drafts: await deps.drafts.count(),
        subscribers: await deps.subscribers.countByLocale(),
        broadcasts: await deps.broadcasts.countByStatus(),
      };
    },
  };
}

export type AdminService = ReturnType<typeof createAdminService>;
