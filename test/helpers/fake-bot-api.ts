export * from "../../src/telegram-emulator/index.js";
