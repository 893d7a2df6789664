// What editors see of a recording's voice in testimony.md (the desk shows the same label):
// whether it was disguised, never how; a hostile description shows nothing unknown.
import { describe, expect, it } from "vitest";
import {
  renderMarkdown,
  type Testimony,
  voiceLabel,
} from "../../../src/services/archive/testimony.js";
import type { AttachmentMeta } from "../../../src/services/interview/attachments.js";

const testimony = (voice: unknown): Testimony => ({
  manifest: {
    format: 1,
    submission: 3,
    questionnaireVersion: 1,
    locale: "ru",
    status: "new",
    createdOn: "2026-01-01",
    parts: [],
  },
  items: [
    {
      questionId: "story",
      kind: "attachment",
      attachment: {
        meta: { kind: "voice", mimeType: "audio/ogg", voice } as AttachmentMeta,
        bytes: new Uint8Array(1),
        fileName: "01-story-voice.ogg",
      },
    },
  ],
});

describe("voice labels for editors", () => {
  it("testimony.md says per recording whether its voice was disguised", () => {
    expect(renderMarkdown(testimony({ disguised: true }), "en")).toContain(
      "01-story-voice.ogg) — voice disguised",
    );
    expect(renderMarkdown(testimony({ disguised: true }), "ru")).toContain("— голос изменён");
    expect(
      renderMarkdown(testimony({ disguised: false, reason: "kept-by-source" }), "en"),
    ).toContain("— real voice: the source chose not to disguise it");
    expect(
      renderMarkdown(testimony({ disguised: false, reason: "could-not-decode" }), "en"),
    ).toContain("— not disguised: could not decode, stored as sent");
    expect(renderMarkdown(testimony({ disguised: false, reason: "video-note" }), "ru")).toContain(
      "— голос не изменён: кружок",
    );
  });

  it("a hostile description shows only known values", () => {
    const t = (key: string) => key;
    expect(voiceLabel({ disguised: false, reason: "<b>x</b>" }, t)).toBeUndefined();
    expect(voiceLabel({ disguised: "yes" }, t)).toBeUndefined();
    expect(voiceLabel("disguised", t)).toBeUndefined();
    expect(renderMarkdown(testimony(undefined), "en")).not.toMatch(/disguised|real voice/);
  });
});
