// The review desk page. Everything it shows comes from the desk process on this computer. The
// session token lives in this page's memory only and goes with every call as a header (a cookie
// would go to any server on 127.0.0.1); a reload needs a new launch code. Files are fetched with
// it and shown from blob: addresses. Text from testimonies is only ever set with textContent,
// never parsed as HTML.

const $ = (id) => document.getElementById(id);

const SESSION_HEADER = "X-Desk-Session";
const VIEWS = ["launch-view", "unlock-view", "inbox-view", "testimony-view"];
/** How often the page checks that the desk still runs (and is still unlocked). */
const ALIVE_MS = 3000;

const state = {
  /** The session token from the launch code: in memory only. */
  token: null,
  /** blob: addresses of decrypted files on screen, revoked when they go. */
  blobs: [],
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

/** A call to the desk with the session header; the raw response (files). */
async function request(path, body) {
  const headers = state.token ? { [SESSION_HEADER]: state.token } : {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method: body === undefined ? "GET" : "POST",
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
    });
  } catch {
    deskClosed();
    throw new DeskFailure("closed");
  }
  if (!response.ok) {
    const data = await response.json().catch(() => ({}));
    const failure = new DeskFailure(data.error ?? "other", data.params ?? {});
    if (failure.code === "locked") showUnlock(errorText(failure));
    if (failure.code === "session") sessionEnded();
    throw failure;
  }
  return response;
}

async function api(path, body) {
  const response = await request(path, body);
  return response.json().catch(() => ({}));
}

/** A decrypted file, fetched with the session, as a blob: address revoked when it leaves. */
async function blobUrl(path) {
  const blob = await (await request(path)).blob();
  const url = URL.createObjectURL(blob);
  state.blobs.push(url);
  return url;
}

/** The desk process is gone: forget what is on screen and say so. */
function deskClosed() {
  if (state.closed) return;
  state.closed = true;
  state.token = null;
  clearDecrypted();
  for (const view of VIEWS) $(view).hidden = true;
  const banner = $("closed");
  banner.textContent = t("desk-error-closed");
  banner.hidden = false;
}

/** A newer launch took the session (or the desk restarted): forget everything, ask for a code. */
function sessionEnded() {
  state.token = null;
  if (state.desk) state.desk.unlocked = false;
  clearDecrypted();
  showLaunch(t("desk-error-session"));
}

/** Drops every decrypted thing from the page (the desk forgets them on its side). */
function clearDecrypted() {
  for (const media of document.querySelectorAll("audio, video")) {
    media.pause();
    media.removeAttribute("src");
    media.load();
  }
  for (const url of state.blobs) URL.revokeObjectURL(url);
  state.blobs = [];
  $("testimony").replaceChildren();
  $("inbox").tBodies[0].replaceChildren();
  $("reply-text").value = "";
  $("note-text").value = "";
  state.inbox = [];
  state.open = null;
}

// --- views -----------------------------------------------------------------------------------

function showView(id) {
  for (const view of VIEWS) $(view).hidden = view !== id;
}

function showLaunch(message = "") {
  showView("launch-view");
  $("lock").hidden = true;
  $("launch-error").textContent = message;
  $("launch-code").value = "";
  $("launch-code").focus();
}

/** The code from "#launch=CODE", from a pasted address, or the code alone. */
function launchCodeOf(text) {
  const match = /#launch=([\w-]+)/.exec(text);
  return (match ? match[1] : text).trim();
}

/** Trades a launch code for this page's session, then shows the desk. */
async function launch(code) {
  try {
    const opened = await api("api/session", { code });
    state.token = opened.token;
    state.closed = false;
  } catch (failure) {
    if (failure.code !== "closed") showLaunch(errorText(failure));
    return;
  }
  state.desk = await api("api/state");
  renderChrome();
  renderStatusOptions();
  await route();
}

/** A pasted launch address: its code leaves the address bar and history at once. */
function takeLaunchFromAddress() {
  const match = /^#launch=([\w-]+)$/.exec(location.hash);
  if (!match) return undefined;
  history.replaceState(null, "", "/");
  return match[1];
}

/** Every few seconds: the desk still runs, this session still holds, the key is still there. */
async function checkAlive() {
  if (!state.token || state.closed) return;
  try {
    const alive = await api("api/alive");
    if (!alive.unlocked && state.desk?.unlocked) showUnlock(t("desk-error-locked"));
  } catch {
    // request() already cleared the page for a closed desk or an ended session
  }
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
  for (const url of state.blobs) URL.revokeObjectURL(url);
  state.blobs = [];
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
  const publicNote = [];
  if (testimony.statusNote) {
    const note = document.createElement("p");
    note.className = "public-note";
    const label = document.createElement("span");
    label.className = "muted";
    label.textContent = `${t("desk-public-note")} `;
    const text = document.createElement("span");
    text.className = "public-note-text";
    text.textContent = testimony.statusNote;
    note.append(label, text);
    publicNote.push(note);
  }

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

  article.replaceChildren(
    title,
    meta,
    ...publicNote,
    answers,
    renderThread(testimony),
    ...renderNotes(testimony),
  );
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
  if (who || entry.day) {
    const label = document.createElement("p");
    label.className = "who";
    label.textContent = [who, entry.day].filter(Boolean).join(" · ");
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
  // Whether hidden data left the file: a file that kept it is a warning, not a detail.
  if (entry.cleaning) {
    const label = document.createElement("p");
    label.className = meta.cleaning?.cleaned === true ? "cleaning" : "cleaning not-cleaned";
    label.textContent = entry.cleaning;
    figure.append(label);
  }
  if (meta.kind === "photo") {
    const label = document.createElement("p");
    label.className = "cleaning";
    label.textContent = t("desk-file-photo-reencoded");
    figure.append(label);
  }
  const label = context ? `${kind}: ${context}` : kind;
  if (entry.display === "audio" || entry.display === "video") {
    const media = document.createElement(entry.display);
    media.controls = true;
    media.preload = "metadata";
    media.setAttribute("aria-label", label);
    showBlob(media, entry.url);
    figure.append(media);
  } else if (entry.display === "image") {
    const image = document.createElement("img");
    image.alt = label;
    showBlob(image, entry.url);
    figure.append(image);
  }
  const actions = document.createElement("p");
  actions.className = "file-actions";
  const save = document.createElement("a");
  save.className = "button-link";
  save.href = "#";
  save.dataset.file = `${entry.url}?download=1`;
  save.textContent = t("desk-file-save");
  save.addEventListener("click", (event) => {
    event.preventDefault();
    saveFile(save.dataset.file, entry.fileName).catch(() => {});
  });
  const warning = document.createElement("span");
  warning.className = "hint";
  warning.id = `file-warning-${entry.item}`;
  warning.textContent = t("desk-file-warning");
  save.setAttribute("aria-describedby", warning.id);
  actions.append(save, warning);
  figure.append(actions);
  return figure;
}

/** Fetches a file with the session and puts it in a media element (unless the page moved on). */
function showBlob(element, path) {
  const number = state.open;
  blobUrl(path)
    .then((url) => {
      if (state.open === number && element.isConnected !== false) element.src = url;
    })
    .catch(() => {});
}

/** "Save to disk": the browser's download of a blob, under the file's name. */
async function saveFile(path, fileName) {
  const url = await blobUrl(path);
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  link.click();
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

/** "Send reply" first shows the text once more, as the chat does; Send in there sends it. */
function confirmReply(event) {
  event.preventDefault();
  if (state.open === null) return;
  const text = $("reply-text").value;
  if (!text.trim()) {
    toast(errorText(new DeskFailure("empty")), true);
    return;
  }
  $("reply-confirm-heading").textContent = t("desk-reply-confirm-heading", { number: state.open });
  $("reply-preview").textContent = text.trim();
  $("reply-dialog").showModal();
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
  if (state.closed || !state.token) return;
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
  if (state.token) api("api/lang", { lang: state.lang }).catch(() => {});
  renderChrome();
  if (!state.desk) return showLaunch($("launch-error").textContent);
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
  $("reply-form").addEventListener("submit", confirmReply);
  $("reply-confirm-form").addEventListener("submit", (e) => {
    $("reply-dialog").close();
    work(e, sendReply);
  });
  $("reply-cancel").addEventListener("click", () => $("reply-dialog").close());
  $("note-form").addEventListener("submit", (e) => work(e, addNote));
  $("save-open").addEventListener("click", openSaveDialog);
  $("save-form").addEventListener("submit", save);
  $("save-cancel").addEventListener("click", () => $("save-dialog").close());
  document.addEventListener("keydown", onKey);
  $("launch-form").addEventListener("submit", (event) => {
    event.preventDefault();
    launch(launchCodeOf($("launch-code").value)).catch(() => {});
  });
  window.addEventListener("hashchange", () => {
    const code = takeLaunchFromAddress();
    if (code) launch(code).catch(() => {});
    else if (state.desk) route();
  });
  setInterval(() => checkAlive(), ALIVE_MS);

  const code = takeLaunchFromAddress();
  await loadTexts(document.documentElement.lang || "ru");
  if (code) await launch(code);
  else showLaunch();
}

start().catch(() => {});
