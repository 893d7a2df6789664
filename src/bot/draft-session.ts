// The one boundary that loads and saves what the bot keeps for a source between updates, shaped
// like grammY's session(): the value is read lazily, once per update, under the source's lock,
// and written after the handler; when the handler throws, nothing is written and what the update
// prepared for its write is abandoned, and the error goes on to the bot's error boundary (a busy
// source is answered there: bot/index.ts). It knows no feature: what is kept, and how, is its
// storage's (the interview's draft: interview-storage.ts); whether an update was handled before
// is dedupe.ts's.
import type { Context, MiddlewareFn } from "grammy";

/**
 * Where the values live. `W` is what an update prepares to store beside its value (rows of their
 * own, written in the same transaction): written with the next write of the value, exactly once.
 */
export interface DraftStorage<T, W> {
  read(key: number): Promise<T | undefined>;
  /** Stores the value and the writes prepared since this update's last write, together. */
  write(key: number, value: T, writes: readonly W[]): Promise<void>;
  /** The update failed before these writes were stored: what they left behind goes. */
  abandon(writes: readonly W[]): Promise<void>;
  /** The value is deleted now (cancelled, forgotten). */
  discard(key: number): Promise<void>;
  /** The value already left storage by another way (a submission moved it): forget it. */
  moved(key: number): void;
}

export interface DraftSession<T, W> {
  /** The source's value, read once per update; undefined when there is none. */
  load(): Promise<T | undefined>;
  /**
   * Replaces the value, written after the handler. `writes` go with the next write; writes not
   * written yet stay pending under the new value.
   */
  set(value: T, writes?: readonly W[]): void;
  /**
   * Writes the value now, before the bot says it is stored (a crash right after "saved" must not
   * lose it); it is written again after the handler if the handler changed it.
   */
  save(): Promise<void>;
  /** Nothing is written after this: the value is deleted now, or was moved away already. */
  end(how: "discarded" | "moved"): Promise<void>;
}

export interface DraftSessionFlavor<T, W> {
  draftSession: DraftSession<T, W>;
}

/** Holds one source's updates apart from another instance's; resolves to its release. */
export type SourceLock = (key: number) => Promise<() => Promise<void>>;

export function draftSession<T, W, C extends Context & DraftSessionFlavor<T, W>>(options: {
  storage: DraftStorage<T, W>;
  /** Whose value this update may load (the source's user id); undefined: none, nothing written. */
  getSessionKey: (ctx: C) => number | undefined;
  lock?: SourceLock;
}): MiddlewareFn<C> {
  const { storage } = options;
  return async (ctx, next) => {
    const key = options.getSessionKey(ctx);
    if (key === undefined) {
      ctx.draftSession = noSession();
      return next();
    }
    let loading: Promise<T | undefined> | undefined;
    let current: T | undefined;
    let pending: readonly W[] = [];
    // The value as this update last wrote it (values are plain data, sealed as JSON), so the
    // final write is skipped when the handler changed nothing after it (the usual answer: written
    // before the note, the note's id added after). Pending writes are never skipped.
    let written: string | undefined;
    const write = async () => {
      if (current === undefined) return;
      const state = JSON.stringify(current);
      if (state === written && pending.length === 0) return;
      await storage.write(key, current, pending);
      written = state;
      // Stored once: a later write of this update must not add them again.
      pending = [];
    };
    let release: (() => Promise<void>) | undefined;
    const read = async () => {
      release = await options.lock?.(key);
      current = await storage.read(key);
      return current;
    };
    ctx.draftSession = {
      load() {
        loading ??= read();
        return loading;
      },
      set(value, writes = []) {
        current = value;
        // Writes not stored yet belong to a value this one grew from: they go with it.
        if (writes.length > 0) pending = [...pending, ...writes];
      },
      save: write,
      async end(how) {
        current = undefined;
        pending = [];
        if (how === "discarded") await storage.discard(key);
        else storage.moved(key);
      },
    };
    try {
      await next();
      await write();
    } catch (error) {
      if (pending.length > 0) await storage.abandon(pending).catch(() => {});
      throw error;
    } finally {
      await release?.();
    }
  };
}

function noSession<T, W>(): DraftSession<T, W> {
  return {
    load: async () => undefined,
    set() {
      throw new Error("no draft session in this update (private chats only)");
    },
    save: async () => {},
    end: async () => {},
  };
}
