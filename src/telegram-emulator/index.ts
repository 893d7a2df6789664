// The Telegram emulator: a local Bot API server with simulated users, for the end-to-end tests
// (test/helpers/fake-bot-api.ts re-exports it) and `npm run demo`.
export { ChatActor, FakeGroup, FakeUser } from "./actors.js";
export { FakeBotApi, startFakeBotApi } from "./bot-api.js";
export { type FormattedText, parseHtml } from "./formatting.js";
export { messageFileId } from "./messages.js";
export type {
  ApiCall,
  ApiError,
  ApiResponse,
  Bytes,
  ChatEventKind,
  EmulatorEvent,
  FakeBotApiOptions,
  FakeStats,
  FaultSpec,
  FileKind,
  GroupInit,
  MediaOptions,
  NextMessageOptions,
  StoredFile,
  UserInit,
  WebhookDelivery,
} from "./types.js";
export { FakeChatState } from "./types.js";
