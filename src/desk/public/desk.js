// The review desk page. Everything it shows comes from the desk process on this computer, at
// addresses relative to this page (they carry the desk's token). Text from testimonies is only
// ever set with textContent, never parsed as HTML.

const $ = (id) => document.getElementById(id);

const state = {
  texts: {},
  lang: "ru",
  /** /api/state: unlocked, readOnly, source, keyFile, fingerprint, statuses… */
  desk: null,
  inbox: [],
  filter: "all",
  /** The testimony on screen (its number), if any. */
  open: null,
  closed: false,
};

class DeskFailure extends Error {
  constructor(code, params = {}) {
    super(code);
    this.code = code;
    this.params = params;
  }
}

// --- texts -----------------------------------------------------------------------------------

function t(id, params = {}) {
  const text = state.texts[id] ?? id;
  return text.replace(/\{\$(\w+)\}/g, (whole, name) =>
    name in params ? String(params[name]) : whole,
  );
}

function errorText(failure) {
  const id = `desk-error-${failure.code}`;
  if (id in state.texts) return t(id, failure.params);
  return t("desk-error-other", { reason: failure.params?.reason ?? failure.code });
}

function statusName(status) {
  return t(`editors-status-${status}`);
}

async function loadTexts(lang) {
  state.texts = await api(`api/texts?lang=${encodeURIComponent(lang)}`);
  state.lang = lang;
  document.documentElement.lang = lang;
  document.title = t("desk-title");
  for (const element of document.querySelectorAll("[data-t]")) {
    element.textContent = t(element.dataset.t);
  }
  $("lang").value = lang;
  showKeyFileName();
}

/** The chosen key file's name next to the picker, or "no file chosen" in the page's language. */
function showKeyFileName() {
  const file = $("key-file").files[0];
  $("key-file-name").textContent = file ? file.name : t("desk-key-none");
}

// --- the desk process ------------------------------------------------------------------------

async function api(path, body) {
  let response;
  try {
    response = await fetch(path, {
      method: body === undefined ? "GET" : "POST",
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "same-origin",
    });
  } catch {
    deskClosed();
    throw new DeskFailure("closed");
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const failure = new DeskFailure(data.error ?? "other", data.params ?? {});
    if (failure.code === "locked") showUnlock(errorText(failure));
    throw failure;
  }
  return data;
}

/** The desk process is gone: forget what is on screen and say so. */
function deskClosed() {
  if (state.closed) return;
  state.closed = true;
  clearDecrypted();
  for (const view of ["unlock-view", "inbox-view", "testimony-view"]) $(view).hidden = true;
  const banner = $("closed");
  banner.textContent = t("desk-error-closed");
  banner.hidden = false;
}

/** Drops every decrypted thing from the page (the desk forgets them on its side). */
function clearDecrypted() {
  for (const media of document.querySelectorAll("audio, video")) {
    media.pause();
    media.removeAttribute("src");
    media.load();
  }
  $("testimony").replaceChildren();
  $("inbox").tBodies[0].replaceChildren();
  $("reply-text").value = "";
  $("note-text").value = "";
  state.inbox = [];
  state.open = null;
}

// --- views -----------------------------------------------------------------------------------

function showView(id) {
  for (const view of ["unlock-view", "inbox-view", "testimony-view"]) $(view).hidden = view !== id;
}

function renderChrome() {
  const desk = state.desk;
  $("mode").textContent = [
    desk.source === "archives"
      ? t("desk-mode-archives", { count: desk.archives ?? 0 })
      : t("desk-mode-database"),
    desk.fingerprint ? t("desk-unlocked-as", { fingerprint: desk.fingerprint }) : "",
  ]
    .filter(Boolean)
    .join(" · ");
  $("read-only").hidden = !desk.readOnly;
  $("lock").hidden = !desk.unlocked;
  const problems = $("problems");
  problems.hidden = desk.problems.length === 0;
  problems.textContent = t("desk-problems", { list: desk.problems.join("; ") });
  $("work-controls").hidden = desk.readOnly;
  $("work-read-only").hidden = !desk.readOnly;
}

function showUnlock(message = "") {
  if (state.desk) state.desk.unlocked = false;
  clearDecrypted();
  if (state.desk) renderChrome();
  showView("unlock-view");
  const preset = state.desk?.keyFile;
  $("key-field").hidden = Boolean(preset);
  $("key-preset").hidden = !preset;
  if (preset) $("key-preset").textContent = t("desk-key-preset", { file: preset });
  $("unlock-error").textContent = message;
  (preset ? $("passphrase") : $("key-file")).focus();
}

async function unlock(event) {
  event.preventDefault();
  const error = $("unlock-error");
  const button = $("unlock-button");
  const file = $("key-file").files[0];
  const passphrase = $("passphrase").value;
  // An empty passphrase is fine for a key kept without one; the desk says if it needs one.
  if (!state.desk.keyFile && !file) {
    error.textContent = t("desk-error-no-key");
    return;
  }
  error.textContent = "";
  button.disabled = true;
  button.textContent = t("desk-unlocking");
  try {
    const key = file ? await file.text() : undefined;
    state.desk = { ...state.desk, ...(await api("api/unlock", { key, passphrase })) };
    $("passphrase").value = "";
    $("key-file").value = "";
    showKeyFileName();
    renderChrome();
    await route();
  } catch (failure) {
    error.textContent = errorText(failure);
    $("passphrase").select();
  } finally {
    button.disabled = false;
    button.textContent = t("desk-unlock");
  }
}

async function lock() {
  await api("api/lock", {}).catch(() => {});
  state.desk.unlocked = false;
  state.desk.fingerprint = undefined;
  location.hash = "#/";
  showUnlock();
}

// --- inbox -----------------------------------------------------------------------------------

async function showInbox() {
  state.open = null;
  pauseMedia();
  showView("inbox-view");
  state.inbox = await api("api/submissions");
  renderInbox();
  const first = $("inbox").querySelector("tbody a");
  if (first) first.focus();
  else $("main").focus();
}

function renderFilter() {
  const counts = { all: state.inbox.length };
  for (const entry of state.inbox) counts[entry.status] = (counts[entry.status] ?? 0) + 1;
  const fieldset = $("filter");
  const legend = fieldset.querySelector("legend");
  const options = ["all", ...state.desk.statuses];
  fieldset.replaceChildren(
    legend,
    ...options.map((status) => {
      const label = document.createElement("label");
      const input = document.createElement("input");
      input.type = "radio";
      input.name = "filter";
      input.value = status;
      input.checked = state.filter === status;
      input.addEventListener("change", () => {
        state.filter = status;
        renderInbox();
      });
      const name = status === "all" ? t("desk-filter-all") : statusName(status);
      label.append(input, `${name} · ${counts[status] ?? 0}`);
      return label;
    }),
  );
}

function cell(content, className) {
  const td = document.createElement("td");
  if (className) td.className = className;
  td.append(content);
  return td;
}

function countCell(n) {
  return cell(String(n), n === 0 ? "num zero" : "num");
}

function statusBadge(status) {
  const badge = document.createElement("span");
  badge.className = `status status-${status}`;
  badge.textContent = statusName(status);
  return badge;
}

function renderInbox() {
  renderFilter();
  const rows = state.inbox.filter((e) => state.filter === "all" || e.status === state.filter);
  const body = $("inbox").tBodies[0];
  body.replaceChildren(
    ...rows.map((entry) => {
      const tr = document.createElement("tr");
      const link = document.createElement("a");
      link.href = `#/n/${entry.number}`;
      link.textContent = `#${entry.number}`;
      link.setAttribute("aria-label", t("desk-open", { number: entry.number }));
      tr.append(
        cell(link),
        cell(entry.createdOn),
        cell(statusBadge(entry.status)),
        cell(entry.locale),
        cell(`v${entry.questionnaireVersion}`, "num"),
        countCell(entry.answers),
        countCell(entry.attachments),
        countCell(entry.followUps),
        countCell(entry.replies),
        countCell(entry.notes),
      );
      tr.addEventListener("click", (event) => {
        if (event.target !== link) location.hash = link.getAttribute("href");
      });
      return tr;
    }),
  );
  $("inbox").hidden = rows.length === 0;
  $("inbox-empty").hidden = rows.length > 0;
}

/** j / k and the arrows move between rows; Enter opens (the row's link). */
function moveInInbox(step) {
  const links = [...$("inbox").querySelectorAll("tbody a")];
  if (links.length === 0) return;
  const at = links.indexOf(document.activeElement);
  const next = at === -1 ? 0 : Math.min(links.length - 1, Math.max(0, at + step));
  links[next].focus();
  links[next].closest("tr").scrollIntoView({ block: "nearest" });
}

// --- testimony -------------------------------------------------------------------------------

function pauseMedia() {
  for (const media of document.querySelectorAll("audio, video")) media.pause();
}

async function showTestimony(number) {
  pauseMedia();
  showView("testimony-view");
  const article = $("testimony");
  const sameOne = state.open === number;
  state.open = number;
  if (!sameOne) {
    const loading = document.createElement("p");
    loading.className = "loading";
    loading.textContent = t("desk-decrypting");
    article.replaceChildren(loading);
  }
  article.setAttribute("aria-busy", "true");
  try {
    const testimony = await api(`api/submissions/${number}?lang=${state.lang}`);
    if (state.open !== number) return;
    renderTestimony(testimony);
    if (!sameOne) article.querySelector("h1").focus();
  } catch (failure) {
    if (failure.code === "locked" || failure.code === "closed") return;
    const message = document.createElement("p");
    message.className = "error";
    message.setAttribute("role", "alert");
    message.textContent = errorText(failure);
    article.replaceChildren(message);
  } finally {
    article.setAttribute("aria-busy", "false");
  }
}

function renderTestimony(testimony) {
  const article = $("testimony");
  const title = document.createElement("h1");
  title.id = "testimony-title";
  title.tabIndex = -1;
  title.textContent = testimony.title;
  const meta = document.createElement("p");
  meta.className = "meta";
  const metaText = document.createElement("span");
  metaText.textContent = t("desk-meta", {
    day: testimony.createdOn,
    locale: testimony.locale,
    version: testimony.questionnaireVersion,
  });
  meta.append(metaText, statusBadge(testimony.status));

  const answers = document.createElement("section");
  answers.setAttribute("aria-labelledby", "answers-heading");
  answers.append(heading("h2", t("desk-answers"), "answers-heading"));
  for (const question of testimony.questions) {
    const block = document.createElement("section");
    block.className = "qa";
    block.append(heading("h3", question.heading));
    if (question.skipped) {
      const skipped = document.createElement("p");
      skipped.className = "skipped";
      skipped.textContent = t("export-skipped");
      block.append(skipped);
    }
    for (const entry of question.entries) block.append(renderEntry(entry, question.heading));
    answers.append(block);
  }

  article.replaceChildren(title, meta, answers, renderThread(testimony), ...renderNotes(testimony));
  $("status-select").value = testimony.status;
}

function heading(level, text, id) {
  const element = document.createElement(level);
  element.textContent = text;
  if (id) element.id = id;
  return element;
}

/** Additions from the source and the editors' replies, in the order they were stored. */
function renderThread(testimony) {
  const section = document.createElement("section");
  section.setAttribute("aria-labelledby", "thread-heading");
  section.append(heading("h2", t("desk-thread"), "thread-heading"));
  const messages = testimony.extras
    .filter((extra) => extra.id === "followup" || extra.id === "reply")
    .flatMap((extra) => extra.entries.map((entry) => ({ from: extra.id, entry })))
    .sort((a, b) => a.entry.item - b.entry.item);
  if (messages.length === 0) {
    const empty = document.createElement("p");
    empty.className = "muted";
    empty.textContent = t("desk-thread-empty");
    section.append(empty);
  }
  for (const { from, entry } of messages) {
    const who = from === "reply" ? t("desk-from-editors") : t("desk-from-source");
    section.append(message(from === "reply" ? "msg from-editors" : "msg from-source", who, entry));
  }
  return section;
}

function renderNotes(testimony) {
  const notes = testimony.extras.find((extra) => extra.id === "note");
  if (!notes) return [];
  const section = document.createElement("section");
  section.setAttribute("aria-labelledby", "notes-heading");
  const hint = document.createElement("p");
  hint.className = "hint";
  hint.textContent = t("desk-notes-private");
  section.append(heading("h2", notes.heading, "notes-heading"), hint);
  for (const entry of notes.entries) section.append(message("msg note", "", entry));
  return [section];
}

function message(className, who, entry) {
  const box = document.createElement("div");
  box.className = className;
  if (who) {
    const label = document.createElement("p");
    label.className = "who";
    label.textContent = who;
    box.append(label);
  }
  box.append(renderEntry(entry, who));
  return box;
}

function renderEntry(entry, context) {
  if (entry.type === "text") {
    const text = document.createElement("p");
    text.className = "answer-text";
    text.textContent = entry.text;
    return text;
  }
  if (entry.type === "choice") {
    const list = document.createElement("ul");
    list.className = "choices";
    for (const option of entry.options) {
      const item = document.createElement("li");
      item.textContent = option.label;
      list.append(item);
    }
    return list;
  }
  return renderFile(entry, context);
}

/** "52 Б", "139,5 КБ": units and decimal sign in the page's language. */
function formatSize(bytes) {
  if (bytes === undefined) return "";
  const number = (n) => n.toLocaleString(state.lang, { maximumFractionDigits: 1 });
  if (bytes < 1024) return t("desk-size-bytes", { n: number(bytes) });
  if (bytes < 1024 * 1024) return t("desk-size-kb", { n: number(bytes / 1024) });
  return t("desk-size-mb", { n: number(bytes / 1024 / 1024) });
}

function formatDuration(seconds) {
  if (!seconds) return "";
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

function renderFile(entry, context) {
  const { meta } = entry;
  const figure = document.createElement("figure");
  figure.className = "file";
  const kind = t(`desk-file-${meta.kind}`);
  const caption = document.createElement("figcaption");
  caption.textContent = [
    kind,
    meta.fileName,
    formatDuration(meta.duration),
    formatSize(meta.size),
    entry.cleaning,
    entry.voice,
  ]
    .filter(Boolean)
    .join(" · ");
  figure.append(caption);
  const label = context ? `${kind}: ${context}` : kind;
  if (entry.display === "audio" || entry.display === "video") {
    const media = document.createElement(entry.display);
    media.controls = true;
    media.preload = "metadata";
    media.src = entry.url;
    media.setAttribute("aria-label", label);
    figure.append(media);
  } else if (entry.display === "image") {
    const image = document.createElement("img");
    image.src = entry.url;
    image.alt = label;
    image.loading = "lazy";
    figure.append(image);
  }
  const actions = document.createElement("p");
  actions.className = "file-actions";
  const save = document.createElement("a");
  save.className = "button-link";
  save.href = `${entry.url}?download=1`;
  save.download = entry.fileName;
  save.textContent = t("desk-file-save");
  const warning = document.createElement("span");
  warning.className = "hint";
  warning.id = `file-warning-${entry.item}`;
  warning.textContent = t("desk-file-warning");
  save.setAttribute("aria-describedby", warning.id);
  actions.append(save, warning);
  figure.append(actions);
  return figure;
}

// --- work ------------------------------------------------------------------------------------

let toastTimer;
function toast(text, isError = false) {
  const element = $("toast");
  element.textContent = text;
  element.className = `toast visible${isError ? " error" : ""}`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    element.className = "toast";
  }, 6000);
}

function renderStatusOptions() {
  const select = $("status-select");
  const current = select.value;
  select.replaceChildren(
    ...state.desk.statuses.map((status) => {
      const option = document.createElement("option");
      option.value = status;
      option.textContent = statusName(status);
      return option;
    }),
  );
  if (current) select.value = current;
}

/** Runs a work action on the open testimony; the button is busy meanwhile. */
async function work(event, action) {
  event.preventDefault();
  const number = state.open;
  const button = event.target.querySelector("button[type=submit]");
  if (number === null) return;
  button.disabled = true;
  try {
    const done = await action(number);
    if (done) toast(done);
    await showTestimony(number);
  } catch (failure) {
    if (failure.code !== "closed") toast(errorText(failure), true);
  } finally {
    button.disabled = false;
  }
}

async function setStatus(number) {
  const status = $("status-select").value;
  await api(`api/submissions/${number}/status`, { status });
  return t("desk-status-done", { status: statusName(status) });
}

async function sendReply(number) {
  const text = $("reply-text").value;
  if (!text.trim()) throw new DeskFailure("empty");
  const result = await api(`api/submissions/${number}/replies`, { text });
  $("reply-text").value = "";
  return [t("desk-reply-done"), result.noticeRequested ? t("desk-reply-notice") : ""]
    .filter(Boolean)
    .join(" ");
}

async function addNote(number) {
  const text = $("note-text").value;
  if (!text.trim()) throw new DeskFailure("empty");
  await api(`api/submissions/${number}/notes`, { text });
  $("note-text").value = "";
  return t("desk-note-done");
}

function openSaveDialog() {
  if (state.open === null) return;
  $("save-heading").textContent = t("desk-save-heading", { number: state.open });
  $("save-warning").textContent = t("desk-save-warning", { number: state.open });
  $("save-error").textContent = "";
  $("save-dialog").showModal();
  $("save-folder").focus();
}

async function save(event) {
  event.preventDefault();
  const folder = $("save-folder").value;
  if (!folder.trim()) {
    $("save-error").textContent = t("desk-error-folder");
    return;
  }
  try {
    const result = await api(`api/submissions/${state.open}/save?lang=${state.lang}`, { folder });
    $("save-dialog").close();
    toast(t("desk-save-done", { folder: result.folder }));
  } catch (failure) {
    $("save-error").textContent = errorText(failure);
  }
}

// --- navigation ------------------------------------------------------------------------------

async function route() {
  if (state.closed) return;
  if (!state.desk.unlocked) return showUnlock();
  const match = /^#\/n\/(\d+)$/.exec(location.hash);
  try {
    if (match) await showTestimony(Number(match[1]));
    else await showInbox();
  } catch (failure) {
    if (failure.code !== "locked" && failure.code !== "closed") toast(errorText(failure), true);
  }
}

function typing(target) {
  return target instanceof HTMLElement && target.closest("input, textarea, select, dialog");
}

function onKey(event) {
  if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
  if (!$("inbox-view").hidden) {
    if (event.key === "j" || event.key === "ArrowDown") moveInInbox(1);
    else if (event.key === "k" || event.key === "ArrowUp") moveInInbox(-1);
    else return;
    event.preventDefault();
  } else if (!$("testimony-view").hidden && (event.key === "Escape" || event.key === "u")) {
    event.preventDefault();
    location.hash = "#/";
  }
}

async function changeLanguage() {
  await loadTexts($("lang").value);
  renderChrome();
  renderStatusOptions();
  if (!state.desk.unlocked) return showUnlock($("unlock-error").textContent);
  if (state.open !== null) await showTestimony(state.open);
  else renderInbox();
}

async function start() {
  $("unlock-form").addEventListener("submit", unlock);
  $("key-file").addEventListener("change", showKeyFileName);
  $("lock").addEventListener("click", lock);
  $("lang").addEventListener("change", () => changeLanguage().catch(() => {}));
  $("status-form").addEventListener("submit", (e) => work(e, setStatus));
  $("reply-form").addEventListener("submit", (e) => work(e, sendReply));
  $("note-form").addEventListener("submit", (e) => work(e, addNote));
  $("save-open").addEventListener("click", openSaveDialog);
  $("save-form").addEventListener("submit", save);
  $("save-cancel").addEventListener("click", () => $("save-dialog").close());
  document.addEventListener("keydown", onKey);
  window.addEventListener("hashchange", () => route());

  state.desk = await api("api/state");
  await loadTexts(state.desk.lang);
  renderChrome();
  renderStatusOptions();
  await route();
}

start().catch(() => {});
