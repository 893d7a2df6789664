import { describe, expect, it } from "vitest";
import { createCallbackData } from "../../src/bot/callback-data/define.js";

describe("typed callback data", () => {
  const answer = createCallbackData("iv:a", ["question", "option"]);

  it("builds data and parses it back", () => {
    const data = answer.pack({ question: "unit", option: "yes" });
    expect(data).toBe("iv:a:unit:yes");
    expect(answer.unpack(data)).toEqual({ question: "unit", option: "yes" });
    expect(answer.filter.test(data)).toBe(true);
  });

  it("does not parse another button's data, a longer one or a shorter one", () => {
    expect(answer.unpack("iv:t:unit:yes")).toBeUndefined();
    expect(answer.unpack("iv:a:unit")).toBeUndefined();
    expect(answer.unpack("iv:a:unit:yes:extra")).toBeUndefined();
    expect(answer.unpack(undefined)).toBeUndefined();
  });

  it("refuses values that would break the format or Telegram's 64-byte limit", () => {
    expect(() => answer.pack({ question: "a:b", option: "x" })).toThrow(/bad question/);
    expect(() => answer.pack({ question: "q", option: "x".repeat(80) })).toThrow(/too long/);
  });

  it("works without fields", () => {
    const cancel = createCallbackData("iv:cancel");
    expect(cancel.pack({})).toBe("iv:cancel");
    expect(cancel.unpack("iv:cancel")).toEqual({});
    expect(cancel.unpack("iv:cancel:yes")).toBeUndefined();
  });
});
