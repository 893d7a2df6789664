// Drives the interview without Telegram: each step is handled and written, with its part writes,
// the way the bot's draft session does it. For tests and benchmarks that need drafts, not chats.
import type {
  AttachmentMeta,
  Draft,
  InterviewEvent,
  InterviewService,
  Outcome,
} from "../../src/services/interview/draft-store.js";
import type { MediaKind } from "../../src/services/interview/questionnaire.js";

export type EngineStep = [question: string, event: InterviewEvent];

/** A text answer, a choice, a file: the shorthand steps most tests need. */
export const text = (question: string, value: string): EngineStep => [
  question,
  { type: "text", text: value },
];
export const choose = (question: string, option: string): EngineStep => [
  question,
  { type: "choose", question, option },
];
export const file = (
  question: string,
  meta: AttachmentMeta & { kind: MediaKind },
  body: Uint8Array,
): EngineStep => [
  question,
  {
    type: "file",
    file: {
      meta,
      open: async () =>
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(body);
            controller.close();
          },
        }),
    },
  },
];

export function createEngineDriver(interview: InterviewService, userId: number, locale = "ru") {
  let current: Draft | undefined;
  const keep = async (outcome: Outcome) => {
    if (outcome.draft) {
      current = outcome.draft;
      await interview.write(userId, { draft: current, chat: {}, writes: outcome.writes });
    }
    return outcome;
  };
  const draft = () => {
    if (!current) throw new Error("start the interview first");
    return current;
  };
  return {
    get draft() {
      return draft();
    },
    start: () => keep(interview.start(locale)),
    /** Handles the event at the current position. */
    send: async (event: InterviewEvent) => keep(await interview.handle(draft(), event, locale)),
    /** Moves to `question` first (as navigation there would), then handles the event. */
    at: async (question: string, event: InterviewEvent) => {
      const moved = { ...draft(), position: question };
      return keep(await interview.handle(moved, event, locale));
    },
    /** Runs the steps in order and returns the draft they leave. */
    async run(steps: EngineStep[]): Promise<Draft> {
      if (!current) await keep(interview.start(locale));
      for (const [question, event] of steps) {
        const outcome = await this.at(question, event);
        const problem = outcome.views.find(
          (view) => view.type === "problem" || view.type === "stale",
        );
        if (problem) throw new Error(`step at ${question} refused: ${JSON.stringify(problem)}`);
      }
      return draft();
    },
  };
}
