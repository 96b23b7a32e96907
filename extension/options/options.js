// The options page (options.html). Backend and summary settings save as soon as they change (each section says
// "Saved"); the prompt template has its own Save, which first has the backend check it (POST
// /v1/prompts/check, as a summary would) and stores nothing when it is broken: the error is shown and its line
// selected and scrolled into view. An "Unsaved changes" mark shows while the text differs from what is
// stored. The backend is reached through the service worker's one-shot messages, never from this page.
//
// `options.html#template` (the panel's "Open options" after a template error) checks the saved template at once.

import { modelText } from "../lib/present.js";
import {
  DEFAULTS,
  SYNC_QUOTA_BYTES_PER_ITEM,
  QuotaError,
  isLocalBackend,
  itemBytes,
  loadSettings,
  normalizeBackendUrl,
  saveSettings,
  storageText,
} from "../lib/settings.js";

const $ = (name) => document.querySelector(`[data-arxivgpt="${name}"]`);
const fields = {
  backendUrl: $("backend-url"),
  apiToken: $("api-token"),
  source: $("source"),
  length: $("length"),
  language: $("language"),
  model: $("model"),
};
const SECTION_OF = {
  backendUrl: "backend",
  apiToken: "backend",
  source: "summaries",
  length: "summaries",
  language: "summaries",
  model: "summaries",
};
const area = $("template");
const status = $("status");
const quota = chrome.storage.sync.QUOTA_BYTES_PER_ITEM ?? SYNC_QUOTA_BYTES_PER_ITEM;

let defaultTemplate = null; // the backend's, once fetched
let savedTemplate = ""; // what is stored ("" = the backend's default)

function say(message, { error = false } = {}) {
  status.textContent = message;
  status.classList.toggle("error", error);
}

function ask(message) {
  return chrome.runtime.sendMessage(message).then(
    (answer) => answer ?? { ok: false, error: { message: "The extension's service worker did not answer." } },
    (error) => ({ ok: false, error: { message: `The extension's service worker failed: ${error.message}` } }),
  );
}

// --- settings that save on change ---------------------------------------------------------------------------

function flashSaved(section, text = "Saved", { error = false } = {}) {
  const mark = $(`saved-${section}`);
  mark.textContent = text;
  mark.classList.toggle("error", error);
  clearTimeout(mark.timer);
  if (!error) mark.timer = setTimeout(() => (mark.textContent = ""), 2500);
}

async function saveField(key) {
  const section = SECTION_OF[key];
  let value = fields[key].value;
  if (key === "backendUrl") {
    const backend = normalizeBackendUrl(value);
    if (backend.error) return flashSaved(section, `Not saved: ${backend.error}`, { error: true });
    value = backend.url;
    fields.backendUrl.value = value;
  }
  if (key === "apiToken" || key === "language") value = value.trim();
  if (key === "language" && !value) value = DEFAULTS.language;
  try {
    await saveSettings({ [key]: value });
  } catch (error) {
    const text = error instanceof QuotaError ? error.message : `Could not save: ${error.message}`;
    return flashSaved(section, text, { error: true });
  }
  let note = "Saved";
  if (key === "backendUrl" && !isLocalBackend(value)) {
    note += `; the extension may only reach 127.0.0.1 and localhost, not ${new URL(value).host}`;
  }
  flashSaved(section, note);
  if (key === "backendUrl" || key === "apiToken") refreshBackend();
}

for (const [key, field] of Object.entries(fields)) {
  field.addEventListener("change", () => saveField(key));
}

// --- the backend: connection and models ---------------------------------------------------------------------

async function refreshBackend() {
  const line = $("connection");
  const [health, models] = await Promise.all([ask({ type: "health" }), ask({ type: "models" })]);
  line.classList.toggle("error", !health.ok || health.status === "failed");
  line.textContent = connectionText(health);
  if (models.ok) fillModels(models, fields.model.value);
}

/** /healthz in words: the model runs, is loading (summaries wait for it), or failed to load (and why). */
function connectionText(health) {
  if (!health.ok) return `Not connected. ${health.error.message}`;
  if (health.status === "loading") {
    return `Connected: the backend is loading ${modelText(health.model)} (${health.message ?? "a moment"}).`;
  }
  if (health.status === "failed") return `Connected, but the model did not load: ${health.message}`;
  return `Connected: the backend runs ${modelText(health.model)}.`;
}

function fillModels(info, saved) {
  const presets = info.presets ?? [];
  const running = presets.find((preset) => preset.running);
  const choices = [new Option(`The backend's model (now ${running?.name ?? info.model})`, "")];
  for (const preset of presets) {
    if (preset.running) continue; // it is the first choice already
    const option = new Option(
      preset.loadable ? `${preset.name} (after a restart)` : `${preset.name} (cannot run here)`,
      preset.name,
    );
    option.disabled = !preset.loadable && preset.name !== saved;
    choices.push(option);
  }
  if (saved && !choices.some((option) => option.value === saved)) choices.push(new Option(saved, saved));
  fields.model.replaceChildren(...choices);
  fields.model.value = saved;
  const runningFirst = [...presets].sort((a, b) => Number(b.running) - Number(a.running));
  $("model-list").replaceChildren(...runningFirst.map(modelItem));
}

function modelItem(preset) {
  const item = document.createElement("li");
  item.dataset.model = preset.name;
  item.dataset.loadable = String(preset.loadable);
  const name = document.createElement("strong");
  name.textContent = preset.name;
  const what = document.createElement("span");
  if (preset.running) what.append("running now.");
  else if (preset.loadable) {
    const command = document.createElement("code");
    command.textContent = `arxivgpt serve --model ${preset.name}`;
    what.append("can run here: restart the backend with ", command, ".");
    if (preset.note) what.append(` Note: ${preset.note}.`);
  } else what.append(`cannot run here: ${preset.reason}.`);
  item.append(name, " ", what);
  return item;
}

// --- the template -------------------------------------------------------------------------------------------

/** What the text area would store: "" for the backend's default (so that updates to it take effect). */
function templateToStore() {
  const text = area.value;
  return text.trim() === "" || text === defaultTemplate ? "" : text;
}

function showTemplateState() {
  const stored = templateToStore();
  $("unsaved").hidden = stored === savedTemplate;
  const size = $("template-size");
  const bytes = itemBytes("template", stored);
  size.textContent = stored
    ? storageText("This template", bytes, quota)
    : "This is the backend's default template: nothing is stored, so the backend's updates to it apply.";
  size.classList.toggle("over", bytes > quota);
}

async function fetchDefaultTemplate() {
  const answer = await ask({ type: "defaultTemplate" });
  if (answer.ok) {
    defaultTemplate = answer.template;
    $("variables").textContent = `Variables: ${answer.variables.join(", ")}.`;
  }
  return answer;
}

async function saveTemplate() {
  const template = templateToStore();
  if (template) {
    say("Checking the template with the backend…");
    const checked = await ask({ type: "checkTemplate", template, language: fields.language.value.trim() });
    if (!checked.ok) return refuse(checked.error);
  }
  try {
    await saveSettings({ template });
  } catch (error) {
    return say(error instanceof QuotaError ? `Not saved: ${error.message}` : `Not saved: ${error.message}`, {
      error: true,
    });
  }
  savedTemplate = template;
  showTemplateState();
  say(
    template ? "Saved: the next summaries use this template." : "Saved: summaries use the default template.",
  );
}

/** Say why the template was not saved; a template error selects its line and scrolls it into view. */
function refuse(error) {
  const { message, line } = error;
  if (error.code !== "template_error") {
    return say(`Not saved: the backend could not check the template. ${message}`, { error: true });
  }
  say(`Not saved: ${withLine(message, line)}`, { error: true });
  if (Number.isInteger(line)) showLine(area, line);
}

function withLine(message, line) {
  return Number.isInteger(line) && !/line \d+/.test(message) ? `template line ${line}: ${message}` : message;
}

async function reset() {
  try {
    await saveSettings({ template: "" });
  } catch (error) {
    return say(`Could not reset: ${error.message}`, { error: true });
  }
  savedTemplate = "";
  const answer = await fetchDefaultTemplate();
  if (answer.ok) {
    area.value = defaultTemplate;
    say("Reset: summaries use the backend's default template.");
  } else {
    area.value = "";
    say(
      `Reset: summaries use the backend's default template (it could not be shown: ${answer.error.message})`,
      {
        error: true,
      },
    );
  }
  showTemplateState();
}

async function preview() {
  let template = area.value;
  if (!template.trim()) {
    const answer = defaultTemplate === null ? await fetchDefaultTemplate() : { ok: true };
    if (!answer.ok) return say(answer.error.message, { error: true });
    template = defaultTemplate;
  }
  const paper = $("preview-paper").value.trim() || "2106.09608";
  $("preview-output").textContent = "";
  say(`Rendering the template with arXiv:${paper}…`);
  $("preview").disabled = true;
  const answer = await ask({
    type: "render",
    template,
    paper,
    source: fields.source.value,
    language: fields.language.value.trim(),
  });
  $("preview").disabled = false;
  if (answer.ok) {
    $("preview-output").textContent = answer.prompt;
    const characters = answer.prompt.length.toLocaleString("en-US");
    const unsaved = templateToStore() === savedTemplate ? "" : " Not saved yet.";
    say(`Rendered with arXiv:${paper}: ${characters} characters.${unsaved}`);
    return;
  }
  const { message, line } = answer.error;
  say(withLine(message, line), { error: true });
  if (Number.isInteger(line)) showLine(area, line);
}

/** Select line `n` (1-based) of a text area and scroll it, and the text area, into view. */
function showLine(textarea, n) {
  const lines = textarea.value.split("\n");
  if (n < 1 || n > lines.length) return;
  const start = lines.slice(0, n - 1).reduce((sum, text) => sum + text.length + 1, 0);
  textarea.focus({ preventScroll: true });
  textarea.setSelectionRange(start, start + lines[n - 1].length);
  const lineHeight = parseFloat(getComputedStyle(textarea).lineHeight) || 18;
  const target = (n - 1) * lineHeight - textarea.clientHeight / 3;
  textarea.scrollTop = Math.max(0, target);
  textarea.scrollLeft = 0;
  textarea.scrollIntoView({ block: "nearest" });
}

// --- start ----------------------------------------------------------------------------------------------------

async function load() {
  const settings = await loadSettings();
  for (const key of Object.keys(fields)) {
    if (key === "model" && settings.model) fields.model.append(new Option(settings.model, settings.model));
    fields[key].value = settings[key];
  }
  savedTemplate = settings.template;
  area.value = settings.template;
  showTemplateState();
  const [template] = await Promise.all([fetchDefaultTemplate(), refreshBackend()]);
  if (!settings.template && template.ok && area.value === "") area.value = defaultTemplate; // edit from it
  showTemplateState();
  if (location.hash === "#template") await checkSavedTemplate();
}

/** Opened from a summary's template error: show that error on the saved template. */
async function checkSavedTemplate() {
  area.scrollIntoView({ block: "start" });
  if (!savedTemplate) return;
  const checked = await ask({
    type: "checkTemplate",
    template: savedTemplate,
    language: fields.language.value,
  });
  if (checked.ok) say("The saved template passes the backend's check now.");
  else if (checked.error.code === "template_error") {
    say(`The saved template has an error: ${withLine(checked.error.message, checked.error.line)}`, {
      error: true,
    });
    if (Number.isInteger(checked.error.line)) showLine(area, checked.error.line);
  }
}

$("save").addEventListener("click", saveTemplate);
$("reset").addEventListener("click", reset);
$("preview").addEventListener("click", preview);
area.addEventListener("input", showTemplateState);
window.addEventListener("beforeunload", (event) => {
  if (templateToStore() !== savedTemplate) event.preventDefault(); // the browser asks before leaving
});
load().catch((error) => say(`The options failed to load: ${error.message}`, { error: true }));
