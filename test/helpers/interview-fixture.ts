// A small questionnaire that has every kind of question, a branch and the limits worth testing,
// with shorthands for its events: shared by the interview's decision and runner tests.
import type { InterviewEvent } from "../../src/services/interview/decide.js";
import { parseQuestionnaire } from "../../src/services/interview/questionnaire.js";

export const questionnaire = parseQuestionnaire(
  {
    id: "interview_fixture",
    version: 1,
    questions: [
      { id: "consent", type: "yesno", required: true },
      { id: "left", type: "choice", options: ["deserted", "stayed"] },
      { id: "route", type: "text", showIf: { question: "left", in: ["deserted"] } },
      { id: "units", type: "multi", options: ["tanks", "artillery", "drones"] },
      { id: "year", type: "year" },
      { id: "story", type: "text_or_media", maxAttachments: 2 },
      // Evidence: its files are stored as sent.
      { id: "photos", type: "media", mediaWarning: true, evidence: true },
    ],
  },
  "interview-fixture.json",
);

export const limits = { draftTtlHours: 72, maxTextLength: 100, maxAttachmentsPerSubmission: 3 };

export const choose = (question: string, option: string): InterviewEvent => ({
  type: "choose",
  question,
  option,
});
export const typed = (text: string): InterviewEvent => ({ type: "text", text });
export const skip = (question: string): InterviewEvent => ({ type: "skip", question });
export const next = (question: string): InterviewEvent => ({ type: "next", question });
export const back = (question: string): InterviewEvent => ({ type: "back", question });

/** From the start to the first question that takes files. */
export const toStory: InterviewEvent[] = [
  choose("consent", "yes"),
  choose("left", "stayed"),
  next("units"),
  typed("2023"),
];
/** The shortest way to the review. */
export const toReview: InterviewEvent[] = [...toStory, skip("story"), skip("photos")];
