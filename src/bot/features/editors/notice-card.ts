// Delivers a batch of editors' notices (services/submissions/editors-notices.ts) to the editors' chat: one message
// per batch, fixed wording, numbers and counts only. A single new testimony gets its card with
// the status buttons at once; several get one line and a button each that opens the card.
import type { Api } from "grammy";
import { InlineKeyboard } from "grammy";
import type {
  EditorialService,
  SubmissionSummary,
} from "../../../services/submissions/editorial.js";
import type { NoticeBatch } from "../../../services/submissions/editors-notices.js";
import { STATUSES } from "../../../services/submissions/submit.js";
import { editorsButtons } from "../../callback-data/editors.js";

type Translate = (key: string, args?: Record<string, string | number>) => string;

export function createEditorsNoticeDelivery(deps: {
  api: Api;
  editorsChatId: number | undefined;
  editorial: EditorialService;
  t: Translate;
}) {
  const { api, t } = deps;

  /** Posts a submission's card (counts, status buttons) and remembers it for later refreshes. */
  const postCard = async (chatId: number, number: number) => {
    const summary = await deps.editorial.summary(number);
    if (!summary) return;
    const card = editorsNotice(t, summary);
    const sent = await api.sendMessage(chatId, card.text, { reply_markup: card.keyboard });
    await deps.editorial.rememberNotice(number, sent.message_id);
  };

  /** Edits a submission's card in place with fresh counts (after an addition). */
  const refreshCard = async (chatId: number, number: number) => {
    const row = await deps.editorial.find(number);
    const summary = await deps.editorial.summary(number);
    if (!row?.noticeMessageId || !summary) return;
    const card = editorsNotice(t, summary);
    await api
      .editMessageText(chatId, row.noticeMessageId, card.text, { reply_markup: card.keyboard })
      .catch(() => {}); // deleted, or unchanged: the new notice says it anyway
  };

  return {
    postCard,
    async deliver(batch: NoticeBatch): Promise<void> {
      const chatId = deps.editorsChatId;
      if (chatId === undefined) return;
      const [only, ...others] = batch.submitted;
      if (only !== undefined && others.length === 0 && batch.additions.length === 0) {
        await postCard(chatId, only);
        return;
      }
      const lines: string[] = [];
      const keyboard = new InlineKeyboard();
      if (batch.submitted.length > 0) {
        lines.push(
          t("editors-batch-new", {
            count: batch.submitted.length,
            numbers: batch.submitted.map((n) => `№${n}`).join(", "),
          }),
        );
        for (const number of batch.submitted) {
          keyboard.text(t("editors-button-open", { number }), editorsButtons.open.pack({ number }));
        }
      }
      for (const { number, count } of batch.additions) {
        lines.push(t("editors-batch-addition", { number, count }));
      }
      await api.sendMessage(chatId, lines.join("\n"), {
        reply_markup: batch.submitted.length > 0 ? keyboard : undefined,
      });
      for (const { number } of batch.additions) await refreshCard(chatId, number);
    },
  };
}

export type EditorsNoticeDelivery = ReturnType<typeof createEditorsNoticeDelivery>;

/** Fixed wording: a number, counts and a status. Never content, never a time finer than the day. */
export function editorsNotice(t: Translate, summary: SubmissionSummary) {
  const text = t("editors-notice", {
    number: summary.number,
    version: summary.questionnaireVersion,
    answers: summary.answers,
    attachments: summary.attachments,
    followups: summary.followUps,
    replies: summary.replies,
    locale: summary.locale,
    day: summary.createdOn,
    status: t(`editors-status-${summary.status}`),
  });
  const keyboard = new InlineKeyboard();
  // Two status buttons per row: four in one row cut "опубликован" on a phone.
  const choices = STATUSES.filter((status) => status !== "new" && status !== summary.status);
  choices.forEach((status, index) => {
    if (index > 0 && index % 2 === 0) keyboard.row();
    keyboard.text(
      t(`editors-status-${status}`),
      editorsButtons.status.pack({ number: summary.number, status }),
    );
  });
  keyboard
    .row()
    .text(t("editors-button-export"), editorsButtons.export.pack({ number: summary.number }))
    .text(t("editors-button-reply"), editorsButtons.reply.pack({ number: summary.number }));
  return { text, keyboard };
}
