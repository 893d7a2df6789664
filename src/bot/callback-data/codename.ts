// Coming back with the codename: the briefing's button opens the lookup, then "add to it" and "done".
import { createCallbackData } from "./define.js";

export const codenameButtons = {
  start: createCallbackData("cn:start"),
  add: createCallbackData("cn:add"),
  done: createCallbackData("cn:done"),
};
