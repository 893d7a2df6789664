// The buttons in the editors' chat: on notices (open, status, export, reply, purge) and under a
// reply's preview.
import { createCallbackData } from "./define.js";

export const editorsButtons = {
  open: createCallbackData("ed:o", ["number"]),
  status: createCallbackData("ed:s", ["number", "status"]),
  export: createCallbackData("ed:x", ["number"]),
  reply: createCallbackData("ed:r", ["number"]),
  purge: createCallbackData("ed:P", ["number"]),
  keep: createCallbackData("ed:keep"),
  /** Send / Cancel under a reply's preview; the token names the draft they were shown with. */
  send: createCallbackData("ed:rs", ["token"]),
  cancelReply: createCallbackData("ed:rc", ["token"]),
};
