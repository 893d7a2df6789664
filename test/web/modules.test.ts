// The demo finds the review desk and the editor tool in the source tree and in a built copy.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { editorCommand, findModule } from "../../src/web/modules.js";

/** A tree with src/demo/server.EXT and, if given, src/desk/server.EXT and src/cli/editor.EXT. */
function tree(extension: ".ts" | ".js", withDesk: boolean) {
  const root = mkdtempSync(join(tmpdir(), "tb-modules-"));
  for (const dir of ["demo", "desk", "cli"]) mkdirSync(join(root, "src", dir), { recursive: true });
  writeFileSync(join(root, "src/demo", `server${extension}`), "");
  if (withDesk) {
    writeFileSync(join(root, "src/desk", `server${extension}`), "");
    writeFileSync(join(root, "src/cli", `editor${extension}`), "");
  }
  return { root, demo: pathToFileURL(join(root, "src/demo", `server${extension}`)).href };
}

describe("finding the desk from the demo", () => {
  it("finds it in the source tree, run through npm", () => {
    const { root, demo } = tree(".ts", true);
    expect(findModule(demo, "../desk/server")).toBe(join(root, "src/desk/server.ts"));
    expect(editorCommand(findModule(demo, "../cli/editor"))).toBe("npm run editor --");
  });

  it("finds it in a built copy, run with node", () => {
    const { root, demo } = tree(".js", true);
    expect(findModule(demo, "../desk/server")).toBe(join(root, "src/desk/server.js"));
    expect(editorCommand(findModule(demo, "../cli/editor"))).toBe(
      `node ${join(root, "src/cli/editor.js")}`,
    );
  });

  it("says there is none where neither exists", () => {
    const { demo } = tree(".js", false);
    expect(findModule(demo, "../desk/server")).toBeUndefined();
    expect(editorCommand(undefined)).toBe("npm run editor --");
  });
});
