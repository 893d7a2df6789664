// The demo page: three Telegram-like chats (a source, the editors' group, an admin) drawn from
// the emulator's state, which the demo process streams as Server-Sent Events. Addresses are
// relative to this page (they carry the demo's token). Message text is only ever set with
// textContent, never parsed as HTML.

const $ = (id) => document.getElementById(id);
const PANES = ["source", "editors", "admin"];
const params = new URLSearchParams(location.search);

const state = {
  texts: {},
  lang: "ru",
  source: Math.max(1, Number.parseInt(params.get("source") ?? "1", 10) || 1),
  /** /api/info: panes (chat id, who types), key, folders. */
  info: null,
  /** pane name → { el, chatId, me, messages: Map(id → element), editing, recorder } */
  panes: {},
  tour: { step: -1, timer: undefined },
};

// --- texts -----------------------------------------------------------------------------------

function t(id, values = {}) {
  const text = state.texts[id] ?? id;
  return text.replace(/\{\$(\w+)\}/g, (whole, name) =>
    name in values ? String(values[name]) : whole,
  );
}

async function loadTexts(lang) {
  state.texts = await getJson(`api/texts?lang=${encodeURIComponent(lang)}`);
  state.lang = lang;
  document.documentElement.lang = lang;
  document.title = t("demo-title");
  for (const element of document.querySelectorAll("[data-t]")) {
    element.textContent = t(element.dataset.t);
  }
  for (const element of document.querySelectorAll("[data-t-title]")) {
    element.title = t(element.dataset.tTitle);
    element.setAttribute("aria-label", element.title);
  }
  for (const element of document.querySelectorAll("[data-t-placeholder]")) {
    element.placeholder = t(element.dataset.tPlaceholder);
  }
  for (const element of document.querySelectorAll("[data-t-label]")) {
    element.setAttribute("aria-label", t(element.dataset.tLabel));
  }
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === lang));
  }
  if (state.info) labelPanes();
  if (state.tour.step >= 0) showTourStep(state.tour.step);
}

// --- the demo process ------------------------------------------------------------------------

async function getJson(path) {
  const response = await fetch(path, { cache: "no-store", credentials: "same-origin" });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

async function post(path, body, contentType = "application/json") {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": contentType },
    body: contentType === "application/json" ? JSON.stringify(body) : body,
    cache: "no-store",
    credentials: "same-origin",
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error ?? String(response.status));
  return data;
}

function act(pane, action, body = {}) {
  return post(`api/${action}`, { pane, source: state.source, ...body });
}

// --- panes -----------------------------------------------------------------------------------

function buildPanes() {
  const template = $("pane-template");
  for (const name of PANES) {
    const el = template.content.firstElementChild.cloneNode(true);
    el.dataset.pane = name;
    el.id = `pane-${name}`;
    $("panes").append(el);
    const pane = {
      name,
      el,
      chatId: state.info.panes[name].chatId,
      me: state.info.panes[name].me,
      messages: new Map(),
      /** The messages themselves, by id (for Reply). */
      data: new Map(),
      editing: undefined,
      replyTo: undefined,
      recorder: undefined,
    };
    state.panes[name] = pane;
    followEnd(pane);
    wireComposer(pane);
    el.querySelector(".alert-ok").addEventListener("click", () => {
      el.querySelector(".alert").hidden = true;
    });
  }
  labelPanes();
}

function labelPanes() {
  const initials = { source: String(state.source), editors: "✎", admin: "A" };
  for (const name of PANES) {
    const { el } = state.panes[name];
    el.querySelector(".pane-title").textContent = t(`demo-pane-${name}`, { n: state.source });
    el.querySelector(".pane-hint").textContent = t(`demo-pane-${name}-hint`);
    el.querySelector(".avatar").textContent = initials[name];
    el.querySelector(".empty").textContent = t(`demo-empty-${name}`);
    const me = name === "source" ? t("demo-pane-source", { n: state.source }) : null;
    el.querySelector(".who").textContent = t("demo-you-type-as", {
      name: me ?? state.info.panes[name].myName,
    });
    for (const edited of el.querySelectorAll(".edited")) edited.textContent = t("demo-edited");
    for (const edit of el.querySelectorAll(".edit-button")) edit.textContent = t("demo-edit");
    for (const link of el.querySelectorAll(".download")) link.textContent = t("demo-download");
    for (const size of el.querySelectorAll(".file-size[data-bytes]")) {
      size.textContent = bytes(Number(size.dataset.bytes));
    }
    for (const label of el.querySelectorAll(".bot-label")) label.textContent = t("demo-bot-label");
  }
  $("new-source").href = `?source=${state.source + 1}&lang=${state.lang}`;
}

function updateEmpty(pane) {
  pane.el.querySelector(".empty").hidden = pane.messages.size > 0;
}

const isNearEnd = (box) => box.scrollHeight - box.scrollTop - box.clientHeight < 120;

/**
 * Like Telegram, a chat follows new messages unless its reader scrolled up on purpose. Whether it
 * follows is decided by the reader's own scrolling, before a message is added: a tall new message
 * must not make the chat look "scrolled up".
 */
function followEnd(pane) {
  const box = pane.el.querySelector(".messages");
  pane.following = true;
  box.addEventListener("scroll", () => {
    pane.following = isNearEnd(box);
  });
  // The box shrinks when a reply keyboard or the composer grows: stay at the end.
  new ResizeObserver(() => scrollToEnd(pane)).observe(box);
}

function scrollToEnd(pane, force = false) {
  const box = pane.el.querySelector(".messages");
  if (force) pane.following = true;
  if (pane.following) box.scrollTop = box.scrollHeight;
}

// --- messages --------------------------------------------------------------------------------

function showMessage(pane, message, { fresh = false } = {}) {
  const box = pane.el.querySelector(".messages");
  const old = pane.messages.get(message.message_id);
  const el = renderMessage(pane, message);
  if (old) {
    old.replaceWith(el);
    el.classList.add("changed");
  } else {
    if (fresh) el.classList.add("new");
    box.append(el);
  }
  pane.messages.set(message.message_id, el);
  pane.data.set(message.message_id, message);
  updateEmpty(pane);
  scrollToEnd(pane, fresh && message.from?.id === pane.me);
  // Pictures and videos take their height once loaded.
  for (const media of el.querySelectorAll("img, video")) {
    media.addEventListener("load", () => scrollToEnd(pane));
    media.addEventListener("loadedmetadata", () => scrollToEnd(pane));
  }
}

function removeMessage(pane, messageId) {
  const el = pane.messages.get(messageId);
  if (!el) return;
  pane.messages.delete(messageId);
  pane.data.delete(messageId);
  if (pane.replyTo === messageId) stopReplying(pane);
  // The wipe is visible: the message fades, then goes.
  el.classList.add("gone");
  setTimeout(() => {
    el.remove();
    updateEmpty(pane);
  }, 450);
}

function renderMessage(pane, message) {
  const mine = message.from?.id === pane.me;
  const fromBot = message.from?.is_bot === true;
  const el = document.createElement("div");
  el.className = `msg${mine ? " mine" : ""}${fromBot ? " bot" : ""}`;
  el.dataset.id = String(message.message_id);
  const bubble = document.createElement("div");
  bubble.className = "bubble";
  el.append(bubble);

  if (!mine && pane.name === "editors") {
    const sender = document.createElement("div");
    sender.className = "sender";
    sender.textContent = message.from?.first_name ?? "";
    if (fromBot) {
      const label = document.createElement("span");
      label.className = "bot-label";
      label.textContent = t("demo-bot-label");
      sender.append(label);
    }
    bubble.append(sender);
  }
  if (message.reply_to_message) {
    const quote = document.createElement("div");
    quote.className = "reply-quote";
    const replied = message.reply_to_message;
    quote.textContent = (replied.text ?? replied.caption ?? "…").split("\n")[0];
    bubble.append(quote);
  }
  const media = renderMedia(message);
  if (media) bubble.append(media);
  const body = message.text ?? message.caption;
  if (body !== undefined) {
    const text = document.createElement("div");
    text.className = "text";
    const entities = message.entities ?? message.caption_entities ?? [];
    text.append(
      formatted(body, withCommands(body, entities), (command) => sendCommand(pane, command)),
    );
    bubble.append(text);
  } else if (!media) {
    const text = document.createElement("div");
    text.className = "text";
    text.textContent = describeOther(message);
    bubble.append(text);
  }
  bubble.append(renderMeta(pane, message, mine));
  const keyboard = message.reply_markup?.inline_keyboard;
  if (keyboard?.length) el.append(renderInlineKeyboard(pane, message, keyboard));
  return el;
}

function renderMeta(pane, message, mine) {
  const meta = document.createElement("div");
  meta.className = "meta";
  const reply = document.createElement("button");
  reply.type = "button";
  reply.className = "reply-button";
  reply.textContent = t("demo-reply");
  reply.addEventListener("click", () => startReplying(pane, message.message_id));
  meta.append(reply);
  if (mine && message.text !== undefined) {
    const edit = document.createElement("button");
    edit.type = "button";
    edit.className = "edit-button";
    edit.textContent = t("demo-edit");
    edit.addEventListener("click", () => startEditing(pane, message));
    meta.append(edit);
  }
  if (message.edit_date) {
    const edited = document.createElement("span");
    edited.className = "edited";
    edited.textContent = t("demo-edited");
    meta.append(edited);
  }
  const time = document.createElement("time");
  const date = new Date(message.date * 1000);
  time.dateTime = date.toISOString();
  time.textContent = date.toTimeString().slice(0, 5);
  meta.append(time);
  return meta;
}

function describeOther(message) {
  if (message.location) return "📍 location";
  if (message.contact) return "👤 contact";
  if (message.poll) return `📊 ${message.poll.question}`;
  if (message.dice) return message.dice.emoji;
  return "…";
}

function fileUrl(fileId, download = false) {
  return `api/files/${encodeURIComponent(fileId)}${download ? "?download=1" : ""}`;
}

function renderMedia(message) {
  const wrap = document.createElement("div");
  wrap.className = "media";
  if (message.photo?.length) {
    const image = document.createElement("img");
    image.src = fileUrl(message.photo.at(-1).file_id);
    image.alt = "";
    image.loading = "lazy";
    wrap.append(image);
    return wrap;
  }
  const sound = message.voice ?? message.audio;
  if (sound) {
    const length = document.createElement("div");
    length.className = "file-size";
    length.textContent = duration(sound.duration);
    wrap.append(player("audio", sound.file_id), length);
    return wrap;
  }
  const video = message.video ?? message.video_note ?? message.animation;
  if (video) {
    wrap.append(player("video", video.file_id));
    return wrap;
  }
  if (message.sticker) {
    wrap.textContent = message.sticker.emoji ?? "🙂";
    wrap.className = "media sticker";
    return wrap;
  }
  if (message.document) {
    wrap.append(fileCard(message.document));
    return wrap;
  }
  return undefined;
}

function player(tag, fileId) {
  const element = document.createElement(tag);
  element.controls = true;
  element.preload = "metadata";
  element.src = fileUrl(fileId);
  return element;
}

function fileCard(file) {
  const card = document.createElement("div");
  card.className = "file-card";
  const icon = document.createElement("div");
  icon.className = "file-icon";
  icon.textContent = (/\.(\w{1,4})$/.exec(file.file_name ?? "")?.[1] ?? "file").toUpperCase();
  const about = document.createElement("div");
  const name = document.createElement("div");
  name.className = "file-name";
  name.textContent = file.file_name ?? "file";
  const size = document.createElement("div");
  size.className = "file-size";
  size.dataset.bytes = String(file.file_size ?? 0);
  size.textContent = bytes(file.file_size ?? 0);
  const link = document.createElement("a");
  link.className = "download";
  link.href = fileUrl(file.file_id, true);
  link.download = file.file_name ?? "file";
  link.textContent = t("demo-download");
  about.append(name, size, link);
  card.append(icon, about);
  return card;
}

/** "52 Б", "139,5 КБ": units and decimal sign in the page's language. */
function bytes(n) {
  const number = (x) => x.toLocaleString(state.lang, { maximumFractionDigits: 1 });
  if (n < 1024) return t("demo-size-bytes", { n: number(n) });
  if (n < 1024 * 1024) return t("demo-size-kb", { n: number(n / 1024) });
  return t("demo-size-mb", { n: number(n / 1024 / 1024) });
}

function duration(seconds = 0) {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** Sends a /command typed by clicking it in a message, as Telegram does. */
function sendCommand(pane, command) {
  act(pane.name, "send", { text: command }).catch((e) => showToast(pane, e.message));
}

/**
 * Telegram marks /commands in any message as bot_command entities (clickable); outside code and
 * links, so do we.
 */
function withCommands(text, entities) {
  const covered = entities.filter((e) =>
    ["code", "pre", "url", "text_link", "bot_command"].includes(e.type),
  );
  const found = [];
  for (const match of text.matchAll(
    /(^|[\s(«"'])(\/[A-Za-z][A-Za-z0-9_]{0,31})(?=$|[\s.,;:!?)»"'])/g,
  )) {
    const offset = match.index + match[1].length;
    const length = match[2].length;
    const inside = covered.some((e) => offset < e.offset + e.length && e.offset < offset + length);
    if (!inside) found.push({ type: "bot_command", offset, length });
  }
  return [...entities, ...found];
}

/** Text with Telegram's entities (bold, italic, code, links…) as nested elements. */
function formatted(text, entities, onCommand = () => {}) {
  const fragment = document.createDocumentFragment();
  const cuts = new Set([0, text.length]);
  for (const entity of entities) {
    cuts.add(entity.offset);
    cuts.add(entity.offset + entity.length);
  }
  const points = [...cuts].filter((p) => p >= 0 && p <= text.length).sort((a, b) => a - b);
  for (let i = 0; i < points.length - 1; i++) {
    const from = points[i];
    const to = points[i + 1];
    let node = document.createTextNode(text.slice(from, to));
    const active = entities
      .filter((e) => e.offset <= from && e.offset + e.length >= to)
      .sort((a, b) => b.offset - a.offset || a.length - b.length);
    for (const entity of active) {
      const whole = text.slice(entity.offset, entity.offset + entity.length);
      node = wrapEntity(node, entity, text.slice(from, to), () => onCommand(whole));
    }
    fragment.append(node);
  }
  return fragment;
}

const ENTITY_TAGS = {
  bold: "b",
  italic: "i",
  underline: "u",
  strikethrough: "s",
  code: "code",
};

function wrapEntity(node, entity, segment, onCommand) {
  let wrapper;
  const tag = ENTITY_TAGS[entity.type];
  if (tag) {
    wrapper = document.createElement(tag);
  } else if (entity.type === "bot_command") {
    wrapper = document.createElement("button");
    wrapper.type = "button";
    wrapper.className = "command";
    wrapper.addEventListener("click", onCommand);
  } else if (entity.type === "text_link" || entity.type === "url") {
    const href = entity.type === "url" ? segment : entity.url;
    if (!/^https?:\/\//i.test(href ?? "")) return node;
    wrapper = document.createElement("a");
    wrapper.href = href;
    wrapper.target = "_blank";
    wrapper.rel = "noopener noreferrer";
  } else if (entity.type === "spoiler") {
    wrapper = document.createElement("span");
    wrapper.className = "spoiler";
    wrapper.addEventListener("click", () => wrapper.classList.add("shown"));
  } else if (entity.type === "pre") {
    wrapper = document.createElement("span");
    wrapper.className = "pre";
  } else if (entity.type === "blockquote" || entity.type === "expandable_blockquote") {
    wrapper = document.createElement("span");
    wrapper.className = "quote";
  } else {
    return node;
  }
  wrapper.append(node);
  return wrapper;
}

function renderInlineKeyboard(pane, message, rows) {
  const keyboard = document.createElement("div");
  keyboard.className = "keyboard";
  for (const row of rows) {
    const line = document.createElement("div");
    line.className = "keyboard-row";
    for (const button of row) line.append(inlineButton(pane, message, button));
    keyboard.append(line);
  }
  return keyboard;
}

function inlineButton(pane, message, button) {
  if (button.url) {
    const link = document.createElement("a");
    link.textContent = `${button.text} ↗`;
    if (/^https?:\/\//i.test(button.url)) link.href = button.url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    return link;
  }
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = button.text;
  element.title = button.text;
  element.dataset.data = button.callback_data ?? "";
  element.addEventListener("click", async () => {
    element.classList.add("pressing");
    try {
      await act(pane.name, "press", { messageId: message.message_id, data: element.dataset.data });
    } catch (error) {
      showToast(pane, String(error.message));
    } finally {
      element.classList.remove("pressing");
    }
  });
  return element;
}

function showReplyKeyboard(pane, keyboard) {
  const box = pane.el.querySelector(".reply-keyboard");
  box.replaceChildren();
  box.hidden = !keyboard;
  if (!keyboard) return;
  for (const row of keyboard.keyboard) {
    const line = document.createElement("div");
    line.className = "keyboard-row";
    for (const key of row) {
      const label = typeof key === "string" ? key : key.text;
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = label;
      button.addEventListener("click", () => {
        if (keyboard.one_time_keyboard) box.hidden = true;
        act(pane.name, "send", { text: label }).catch((e) => showToast(pane, e.message));
      });
      line.append(button);
    }
    box.append(line);
  }
}

function showToast(pane, text) {
  const toast = pane.el.querySelector(".toast");
  toast.textContent = text;
  toast.hidden = false;
  clearTimeout(pane.toastTimer);
  pane.toastTimer = setTimeout(() => {
    toast.hidden = true;
  }, 3000);
}

function showAlert(pane, text) {
  pane.el.querySelector(".alert-text").textContent = text;
  pane.el.querySelector(".alert").hidden = false;
}

// --- typing, files, voice --------------------------------------------------------------------

function wireComposer(pane) {
  const form = pane.el.querySelector(".composer");
  const input = form.querySelector("textarea");
  const menu = form.querySelector(".attach-menu");
  const resize = () => {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 120)}px`;
  };
  input.addEventListener("input", resize);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
    if (event.key === "Escape" && pane.editing) stopEditing(pane);
    else if (event.key === "Escape" && pane.replyTo) stopReplying(pane);
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value;
    if (text.trim() === "") return;
    input.value = "";
    resize();
    try {
      if (pane.editing) {
        const messageId = pane.editing;
        stopEditing(pane);
        await act(pane.name, "edit", { messageId, text });
      } else if (pane.replyTo) {
        const replyTo = pane.replyTo;
        stopReplying(pane);
        await act(pane.name, "send", { text, replyTo });
      } else {
        await act(pane.name, "send", { text });
      }
    } catch (error) {
      showToast(pane, String(error.message));
    }
  });
  form.querySelector(".attach").addEventListener("click", () => {
    menu.hidden = !menu.hidden;
  });
  document.addEventListener("click", (event) => {
    if (!form.querySelector(".attach-wrap").contains(event.target)) menu.hidden = true;
  });
  menu.addEventListener("click", (event) => {
    const action = event.target.closest("button")?.dataset.action;
    menu.hidden = true;
    if (action === "photo") form.querySelector(".file-photo").click();
    if (action === "document") form.querySelector(".file-document").click();
    if (action === "sample-voice" || action === "sample-photo") {
      act(pane.name, action).catch((e) => showToast(pane, e.message));
    }
  });
  for (const [selector, kind] of [
    [".file-photo", "photo"],
    [".file-document", "document"],
  ]) {
    const picker = form.querySelector(selector);
    picker.addEventListener("change", async () => {
      const file = picker.files?.[0];
      picker.value = "";
      if (file) await upload(pane, kind, file, file.name);
    });
  }
  form.querySelector(".record").addEventListener("click", () => toggleRecording(pane));
  pane.el.querySelector(".cancel-edit").addEventListener("click", () => stopEditing(pane));
  pane.el.querySelector(".cancel-reply").addEventListener("click", () => stopReplying(pane));
}

async function upload(pane, kind, blob, name, seconds) {
  const query = new URLSearchParams({
    pane: pane.name,
    source: String(state.source),
    kind,
    name: name ?? "",
    type: blob.type ?? "",
  });
  if (seconds) query.set("duration", String(seconds));
  showToast(pane, t("demo-uploading"));
  try {
    await post(`api/upload?${query}`, blob, "application/octet-stream");
    pane.el.querySelector(".toast").hidden = true;
  } catch (error) {
    showToast(pane, t("demo-upload-failed", { reason: error.message }));
  }
}

async function toggleRecording(pane) {
  const button = pane.el.querySelector(".record");
  if (pane.recorder) {
    pane.recorder.stop();
    return;
  }
  let stream;
  try {
    if (!navigator.mediaDevices?.getUserMedia || typeof MediaRecorder === "undefined") {
      throw new Error("no recorder");
    }
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch {
    showToast(pane, t("demo-no-microphone"));
    await act(pane.name, "sample-voice").catch((e) => showToast(pane, e.message));
    return;
  }
  const type = ["audio/ogg;codecs=opus", "audio/webm;codecs=opus"].find((candidate) =>
    MediaRecorder.isTypeSupported(candidate),
  );
  const recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
  const chunks = [];
  const started = Date.now();
  recorder.addEventListener("dataavailable", (event) => chunks.push(event.data));
  recorder.addEventListener("stop", async () => {
    pane.recorder = undefined;
    button.classList.remove("recording");
    button.title = t("demo-record");
    for (const track of stream.getTracks()) track.stop();
    const blob = new Blob(chunks, { type: recorder.mimeType || "audio/webm" });
    await upload(pane, "voice", blob, "", (Date.now() - started) / 1000);
  });
  pane.recorder = recorder;
  recorder.start();
  button.classList.add("recording");
  button.title = t("demo-recording");
  showToast(pane, t("demo-recording"));
}

function startEditing(pane, message) {
  if (pane.replyTo) stopReplying(pane);
  pane.editing = message.message_id;
  const input = pane.el.querySelector("textarea");
  input.value = message.text ?? "";
  pane.el.querySelector(".editing").hidden = false;
  input.focus();
}

/** Telegram's Reply: the next message answers this one (the bot's force_reply opens it too). */
function startReplying(pane, messageId, placeholder) {
  const message = pane.data.get(messageId);
  if (!message) return;
  if (pane.editing) stopEditing(pane);
  pane.replyTo = messageId;
  const bar = pane.el.querySelector(".replying");
  bar.querySelector(".replying-text").textContent = (message.text ?? message.caption ?? "…").split(
    "\n",
  )[0];
  bar.hidden = false;
  const input = pane.el.querySelector("textarea");
  input.placeholder = placeholder ?? t("demo-message");
  input.focus();
}

function stopReplying(pane) {
  pane.replyTo = undefined;
  pane.el.querySelector(".replying").hidden = true;
  pane.el.querySelector("textarea").placeholder = t("demo-message");
}

function stopEditing(pane) {
  pane.editing = undefined;
  pane.el.querySelector(".editing").hidden = true;
}

// --- live updates ----------------------------------------------------------------------------

function connect() {
  const events = new EventSource(`api/events?source=${state.source}`);
  events.addEventListener("snapshot", (event) => {
    $("disconnected").hidden = true;
    const { chats, ready } = JSON.parse(event.data);
    $("starting").hidden = ready;
    for (const name of PANES) {
      const pane = state.panes[name];
      for (const el of pane.messages.values()) el.remove();
      pane.messages.clear();
      pane.data.clear();
      for (const message of chats[name].messages) showMessage(pane, message);
      showReplyKeyboard(pane, chats[name].keyboard);
      stopReplying(pane);
      if (chats[name].forceReply) startReplying(pane, chats[name].forceReply.messageId);
      updateEmpty(pane);
      scrollToEnd(pane, true);
    }
  });
  events.addEventListener("change", (event) => applyChange(JSON.parse(event.data)));
  events.addEventListener("ready", () => {
    $("starting").hidden = true;
  });
  events.addEventListener("failed", () => {
    $("starting").textContent = t("demo-start-failed");
  });
  events.addEventListener("error", () => {
    $("disconnected").hidden = false;
  });
}

function applyChange(change) {
  const pane = state.panes[change.pane];
  if (!pane) return;
  if (change.type === "message") {
    if (change.kind === "deleted") removeMessage(pane, change.message.message_id);
    else showMessage(pane, change.message, { fresh: change.kind === "sent" });
  } else if (change.type === "callback-answer" && change.text) {
    if (change.showAlert) showAlert(pane, change.text);
    else showToast(pane, change.text);
  } else if (change.type === "reply-keyboard") {
    showReplyKeyboard(pane, change.keyboard);
  } else if (change.type === "force-reply") {
    startReplying(pane, change.messageId, change.placeholder);
  }
}

// --- the tour --------------------------------------------------------------------------------

const TOUR = [
  { id: "welcome", pane: null },
  { id: "briefing", pane: "source" },
  { id: "encryption", pane: "source", extra: storedExtra },
  { id: "wipe", pane: "source" },
  { id: "codename", pane: "source" },
  { id: "editors", pane: "editors" },
  { id: "desk", pane: "editors", extra: deskExtra },
  { id: "broadcast", pane: "admin" },
  { id: "end", pane: null },
];
const TOUR_DONE_KEY = "testimony-demo-tour-done";

function startTour() {
  document.body.classList.add("touring");
  $("tour").hidden = false;
  showTourStep(0);
}

function endTour() {
  clearInterval(state.tour.timer);
  state.tour.step = -1;
  $("tour").hidden = true;
  document.body.classList.remove("touring", "tour-all");
  for (const name of PANES) state.panes[name].el.classList.remove("spotlight");
  try {
    localStorage.setItem(TOUR_DONE_KEY, "1");
  } catch {
    // private mode: the tour shows again next time
  }
}

function showTourStep(index) {
  const step = TOUR[index];
  state.tour.step = index;
  clearInterval(state.tour.timer);
  $("tour-step").textContent = t("demo-tour-step", { n: index + 1, total: TOUR.length });
  $("tour-title").textContent = t(`demo-tour-${step.id}-title`);
  $("tour-text").textContent = t(`demo-tour-${step.id}`);
  $("tour").dataset.step = step.id;
  $("tour-back").hidden = index === 0;
  $("tour-next").textContent = t(index === TOUR.length - 1 ? "demo-tour-done" : "demo-tour-next");
  document.body.classList.toggle("tour-all", step.pane === null);
  for (const name of PANES) {
    state.panes[name].el.classList.toggle("spotlight", name === step.pane);
  }
  // The card sits away from the pane it talks about.
  $("tour").classList.toggle("left", step.pane === "admin" || step.pane === "editors");
  const extra = $("tour-extra");
  extra.replaceChildren();
  if (step.extra) {
    const refresh = () => step.extra(extra).catch(() => {});
    refresh();
    state.tour.timer = setInterval(refresh, 1500);
  }
}

function paragraph(text) {
  const p = document.createElement("p");
  p.textContent = text;
  return p;
}

function code(text) {
  const element = document.createElement("code");
  element.textContent = text;
  return element;
}

async function storedExtra(box) {
  const stored = await getJson(`api/stored?source=${state.source}`);
  const lines = [];
  if (stored.draft?.lastAnswer) {
    lines.push(
      t("demo-tour-stored-draft", {
        parts: stored.draft.parts,
        kind: t(`demo-kind-${stored.draft.lastAnswer.kind}`),
        bytes: stored.draft.lastAnswer.bytes.toLocaleString(state.lang),
      }),
    );
  } else {
    lines.push(t("demo-tour-stored-nothing"));
  }
  if (stored.latestSubmission) {
    lines.push(
      t("demo-tour-stored-submission", {
        number: stored.latestSubmission.number,
        parts: stored.latestSubmission.parts,
        bytes: stored.latestSubmission.bytes.toLocaleString(state.lang),
      }),
    );
  }
  for (const fingerprint of stored.fingerprints) {
    lines.push(t("demo-tour-key", { fingerprint }));
  }
  box.replaceChildren(...lines.map(paragraph));
}

async function deskExtra(box) {
  const stored = await getJson(`api/stored?source=${state.source}`);
  const { info } = state;
  const number = stored.latestSubmission?.number ?? 1;
  const archive = `${info.exportsDir}/submission-${number}.tar`;
  const items = [];
  if (info.hasDesk) {
    items.push(code(`${info.editorCommand} desk ${archive} --key ${info.key.privateKeyPath}`));
  } else {
    items.push(paragraph(t("demo-tour-desk-missing")));
    items.push(
      code(
        `${info.editorCommand} decrypt ${archive} --key ${info.key.privateKeyPath} --out ${info.dir}/decrypted`,
      ),
    );
  }
  items.push(paragraph(t("demo-tour-desk-passphrase", { passphrase: info.key.passphrase })));
  box.replaceChildren(...items);
}

function wireTour() {
  $("tour-button").addEventListener("click", startTour);
  $("tour-skip").addEventListener("click", endTour);
  $("tour-back").addEventListener("click", () => showTourStep(Math.max(0, state.tour.step - 1)));
  $("tour-next").addEventListener("click", () => {
    if (state.tour.step >= TOUR.length - 1) endTour();
    else showTourStep(state.tour.step + 1);
  });
}

function tourSeen() {
  try {
    return localStorage.getItem(TOUR_DONE_KEY) === "1";
  } catch {
    return false;
  }
}

// --- start -----------------------------------------------------------------------------------

// The language is this tab's: another tab (another source) keeps its own.
function chooseLanguage(lang) {
  try {
    sessionStorage.setItem("testimony-demo-lang", lang);
  } catch {
    // not kept; fine
  }
  post("api/language", { lang, source: state.source }).catch(() => {});
  loadTexts(lang);
}

function startingLanguage() {
  const asked = params.get("lang");
  if (asked === "ru" || asked === "en") return asked;
  try {
    const kept = sessionStorage.getItem("testimony-demo-lang");
    if (kept === "ru" || kept === "en") return kept;
  } catch {
    // fall through
  }
  // Otherwise the browser's language, when the demo speaks it.
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = String(tag).toLowerCase().split("-")[0];
    if (base === "ru" || base === "en") return base;
  }
  return state.info.lang;
}

async function start() {
  state.info = await getJson(`api/info?source=${state.source}`);
  const lang = startingLanguage();
  buildPanes();
  await loadTexts(lang);
  if (lang !== state.info.lang)
    post("api/language", { lang, source: state.source }).catch(() => {});
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => chooseLanguage(button.dataset.lang));
  }
  wireTour();
  connect();
  if (!tourSeen() && params.get("tour") !== "0") startTour();
}

start().catch(() => {
  $("disconnected").hidden = false;
});
