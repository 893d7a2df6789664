// Every "Subscribe to guidance" button (briefing, guidance; never the receipt).
import { createCallbackData } from "./define.js";

export const subscribeButton = createCallbackData("sub:on");
