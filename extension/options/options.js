// The options page (options.html): backend URL, source, language, model, and the prompt template with save,
// reset to the backend's default, and a preview rendered by the backend. The backend is reached through the
// service worker's one-shot messages (defaultTemplate, render, models), never from this page.

import {
  DEFAULTS,
  SYNC_QUOTA_BYTES_PER_ITEM,
  QuotaError,
  isLocalBackend,
  itemBytes,
  loadSettings,
  normalizeBackendUrl,
  saveSettings,
} from "../lib/settings.js";

const $ = (name) => document.querySelector(`[data-arxivgpt="${name}"]`);
const fields = {
  backendUrl: $("backend-url"),
  apiToken: $("api-token"),
  source: $("source"),
  language: $("language"),
  model: $("model"),
  template: $("template"),
};
const status = $("status");
const previewOutput = $("preview-output");
const previewPaper = $("preview-paper");
const quota = chrome.storage.sync.QUOTA_BYTES_PER_ITEM ?? SYNC_QUOTA_BYTES_PER_ITEM;

let defaultTemplate = null; // the backend's, once fetched

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

async function fetchDefaultTemplate() {
  const answer = await ask({ type: "defaultTemplate" });
  if (answer.ok) {
    defaultTemplate = answer.template;
    $("variables").textContent = `Variables: ${answer.variables.join(", ")}.`;
  }
  return answer;
}

function showTemplateSize() {
  const bytes = itemBytes("template", fields.template.value);
  const size = $("template-size");
  const count = (n) => n.toLocaleString("en-US");
  size.textContent = `${count(bytes)} of ${count(quota)} bytes Chrome sync storage allows.`;
  size.classList.toggle("over", bytes > quota);
}

function fillModels(info, saved) {
  const choices = [["", `The server's current model (${info.model})`], [info.model, `${info.model} (running)`]];
  for (const preset of info.presets ?? []) {
    if (info.model === preset.name || info.model.startsWith(`${preset.name} `)) continue;
    choices.push([preset.name, `${preset.name} (needs the backend restarted with --model ${preset.name})`]);
  }
  if (saved && !choices.some(([value]) => value === saved)) choices.push([saved, saved]);
  fields.model.replaceChildren(...choices.map(([value, label]) => new Option(label, value)));
  fields.model.value = saved;
}

// Fields the user has changed since the page opened are not overwritten by values that arrive later.
const edited = new Set();
for (const [key, field] of Object.entries(fields)) {
  field.addEventListener("input", () => edited.add(key));
  field.addEventListener("change", () => edited.add(key));
}

function fill(key, value) {
  if (!edited.has(key)) fields[key].value = value;
}

async function load() {
  const settings = await loadSettings();
  fill("backendUrl", settings.backendUrl);
  fill("apiToken", settings.apiToken);
  fill("source", settings.source);
  fill("language", settings.language);
  if (settings.model) fields.model.append(new Option(settings.model, settings.model));
  fill("model", settings.model);
  fill("template", settings.template);
  showTemplateSize();

  const [template, models] = await Promise.all([fetchDefaultTemplate(), ask({ type: "models" })]);
  if (models.ok) fillModels(models, edited.has("model") ? fields.model.value : settings.model);
  if (!settings.template && template.ok && !fields.template.value) {
    fill("template", defaultTemplate); // start editing from the default
    showTemplateSize();
  }
  if (!models.ok && !status.textContent) say(models.error.message, { error: true });
}

async function save() {
  const backend = normalizeBackendUrl(fields.backendUrl.value);
  if (backend.error) return say(backend.error, { error: true });
  const template = fields.template.value;
  const values = {
    backendUrl: backend.url,
    apiToken: fields.apiToken.value.trim(),
    source: fields.source.value,
    language: fields.language.value.trim() || DEFAULTS.language,
    model: fields.model.value,
    // The default template, unchanged, is saved as "" so that backend updates to it take effect.
    template: template.trim() === "" || template === defaultTemplate ? "" : template,
  };
  try {
    await saveSettings(values);
  } catch (error) {
    if (error instanceof QuotaError) return say(error.message, { error: true });
    return say(`Could not save: ${error.message}`, { error: true });
  }
  fields.backendUrl.value = backend.url;
  let message = "Saved.";
  if (!isLocalBackend(backend.url)) {
    message += ` Note: the extension may only reach 127.0.0.1 and localhost, not ${new URL(backend.url).host}.`;
  }
  say(message);
}

async function reset() {
  try {
    await saveSettings({ template: "" });
  } catch (error) {
    return say(`Could not reset: ${error.message}`, { error: true });
  }
  const answer = await fetchDefaultTemplate();
  if (answer.ok) {
    fields.template.value = defaultTemplate;
    say("Reset: summaries use the backend's default template.");
  } else {
    fields.template.value = "";
    say(`Reset: summaries use the backend's default template (it could not be shown: ${answer.error.message})`, {
      error: true,
    });
  }
  showTemplateSize();
}

async function preview() {
  let template = fields.template.value;
  if (!template.trim()) {
    const answer = defaultTemplate === null ? await fetchDefaultTemplate() : { ok: true };
    if (!answer.ok) return say(answer.error.message, { error: true });
    template = defaultTemplate;
  }
  const paper = previewPaper.value.trim() || "2106.09608";
  previewOutput.textContent = "";
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
    previewOutput.textContent = answer.prompt;
    const characters = answer.prompt.length.toLocaleString("en-US");
    say(`Rendered with arXiv:${paper}: ${characters} characters. Not saved yet.`);
    return;
  }
  const { message, line } = answer.error;
  const where = Number.isInteger(line) && !/line \d+/.test(message) ? `template line ${line}: ` : "";
  say(`${where}${message}`, { error: true });
  if (Number.isInteger(line)) selectLine(fields.template, line);
}

/** Put the cursor on line `n` (1-based) of a textarea, so a template error is easy to find. */
function selectLine(area, n) {
  const lines = area.value.split("\n");
  if (n < 1 || n > lines.length) return;
  const start = lines.slice(0, n - 1).reduce((sum, text) => sum + text.length + 1, 0);
  area.focus();
  area.setSelectionRange(start, start + lines[n - 1].length);
}

$("save").addEventListener("click", save);
$("reset").addEventListener("click", reset);
$("preview").addEventListener("click", preview);
fields.template.addEventListener("input", showTemplateSize);
load().catch((error) => say(`The options failed to load: ${error.message}`, { error: true }));
