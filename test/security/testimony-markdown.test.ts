// Invariant 10: nothing a source wrote or named becomes markup in testimony.md. A corpus of
// Markdown and HTML payloads goes in as answers, additions, unknown choices and original file
// names; a real Markdown renderer (HTML and bare-link detection on, as lenient viewers are) must
// find no link, image or HTML element that came from them: only the links to attachments/ that
// the writer makes itself.
import MarkdownIt from "markdown-it";
import { describe, expect, it } from "vitest";
import { renderMarkdown, type Testimony } from "../../src/services/archive/testimony.js";
import { manifestOf } from "../helpers/archives.js";

const PAYLOADS = [
  "![pixel](http://evil.example/p.png)",
  "[verify here](http://evil.example/verify)",
  "[x](javascript:alert(1))",
  "<img src=http://evil.example/x.png>",
  '<a href="http://evil.example">click</a>',
  "<script>fetch('http://evil.example')</script>",
  "<!-- hidden --><iframe src=http://evil.example></iframe>",
  "http://evil.example/bare",
  "www.evil.example",
  "<http://evil.example/auto>",
  "mail me: spy@evil.example",
  "[ref]\n\n[ref]: http://evil.example/ref",
  "```\n![x](http://evil.example/fence)\n```",
  "````\n<img src=http://evil.example/4>\n````",
  "~~~\n<img src=http://evil.example/tilde>\n~~~",
  "`` ` `` ![x](http://evil.example/span)",
  "line\n\n## A fake heading\n\n![x](http://evil.example/after-blank)",
  "> quote\n<img src=http://evil.example/in-quote>",
  "    <img src=http://evil.example/indented>",
  "&lt;img src=http://evil.example/entity&gt; &#60;b&#62;",
  "\\![x](http://evil.example/escaped)",
  "- [ ] task ![x](http://evil.example/task)",
];

/** File names a source may give a document (Telegram passes them through). */
const NAMES = [
  "![x](http://evil.example/n.png).jpg",
  "x](http://evil.example/close).pdf",
  "<img src=http://evil.example/name>.png",
  "a`b``c```d.txt",
  "`",
  "http://evil.example/name.doc",
  "name\n\n![x](http://evil.example/newline).jpg",
  "<http://evil.example>.zip",
];

function hostileTestimony(): Testimony {
  const items: Testimony["items"] = [
    { questionId: "consent", kind: "choice", text: "yes" },
    // Option ids are inside the ciphertext: a hostile archive may carry any text there.
    { questionId: "role", kind: "choice", text: `other\n${PAYLOADS.slice(0, 4).join("\n")}` },
    ...PAYLOADS.map((text) => ({ questionId: "area", kind: "text", text })),
    ...PAYLOADS.map((text) => ({ questionId: "followup", kind: "followup", text })),
    ...NAMES.map((fileName, index) => ({
      questionId: "story",
      kind: "document",
      attachment: {
        meta: { kind: "document", fileName, mimeType: "application/pdf", size: 10 },
        bytes: new Uint8Array(10),
        fileName: `${String(index + 1).padStart(2, "0")}-story-document.pdf`,
      },
    })),
  ];
  return {
    manifest: manifestOf({}),
    items,
  };
}

type Token = ReturnType<InstanceType<typeof MarkdownIt>["parse"]>[number];

function allTokens(tokens: Token[]): Token[] {
  return tokens.flatMap((token) => [token, ...allTokens(token.children ?? [])]);
}

describe("testimony.md escapes everything a source sent", () => {
  const markdown = renderMarkdown(hostileTestimony(), "en");
  const md = new MarkdownIt({ html: true, linkify: true });
  const tokens = allTokens(md.parse(markdown, {}));

  it("a real renderer finds no image and no HTML", () => {
    const found = tokens.filter((t) => ["image", "html_block", "html_inline"].includes(t.type));
    expect(found.map((t) => t.content || t.attrGet("src"))).toEqual([]);
  });

  it("its only links are the writer's own, to the attachments folder", () => {
    const hrefs = tokens.filter((t) => t.type === "link_open").map((t) => t.attrGet("href"));
    expect(hrefs.length).toBe(NAMES.length);
    for (const href of hrefs) expect(href).toMatch(/^attachments\/\d\d-story-document\.pdf$/);
    const html = md.render(markdown);
    expect(html).not.toMatch(/<(img|script|iframe|a href="http)/i);
    expect(html).not.toContain('evil.example">');
  });

  it("every answer is still there, whole, as text", () => {
    const code = tokens
      .filter((t) => t.type === "fence" || t.type === "code_inline")
      .map((t) => t.content);
    for (const payload of PAYLOADS) expect(code).toContain(`${payload}\n`);
    for (const name of NAMES) {
      expect(code.some((c) => c.includes(name.replace(/\s+/g, " ").trim()))).toBe(true);
    }
  });

  it("an ordinary answer is a plain fenced block", () => {
    const plain = renderMarkdown(
      {
        ...hostileTestimony(),
        items: [{ questionId: "area", kind: "text", text: "Под Херсоном, осенью" }],
      },
      "ru",
    );
    expect(plain).toContain("```text\nПод Херсоном, осенью\n```");
  });
});
