// The receipt's buttons: "Written down, delete it", "Show it again", "Skip the check".
import { createCallbackData } from "./define.js";

export const receiptButtons = {
  hide: createCallbackData("cn:hide"),
  show: createCallbackData("cn:show"),
  skipCheck: createCallbackData("cn:skipcheck"),
};
