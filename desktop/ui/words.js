// The window speaks English and Chinese. Every sentence is written in both where it is used:
// in the page as an element's English text with its Chinese in `data-zh` (and
// `data-zh-placeholder`, `data-zh-aria-label`, `data-zh-alt`, `data-zh-title` for attributes),
// in the scripts as `t(english, chinese)`. What the station says arrives as `{en, zh}` and
// `say` picks the clerk's language.

let lang = "en";

export function language() {
  return lang;
}

/// The locale for numbers and dates: the system's own when it speaks the chosen language.
export function locale() {
  const system = navigator.language || "";
  if (system.toLowerCase().startsWith(lang)) return system;
  return lang === "zh" ? "zh-CN" : "en-GB";
}

/// `english` or `chinese`, as the window speaks now.
export function t(english, chinese) {
  return lang === "zh" ? chinese : english;
}

/// A sentence from the station (`{en, zh}`), or plain text (a name, a code) as it is.
export function say(words) {
  if (words && typeof words === "object") return words[lang] ?? words.en ?? "";
  return words ?? "";
}

const ATTRIBUTES = ["placeholder", "aria-label", "alt", "title"];

function firstText(el) {
  for (const n of el.childNodes) if (n.nodeType === Node.TEXT_NODE && n.textContent.trim()) return n;
  return null;
}

/// Puts every marked element of `root` in the current language: its first text of its own
/// (so a label keeps its input) and its marked attributes.
export function translate(root = document) {
  for (const el of root.querySelectorAll("[data-zh]")) {
    const node = firstText(el);
    if (!node) continue;
    if (el.dataset.en === undefined) el.dataset.en = node.textContent;
    const en = el.dataset.en;
    const [, lead, , tail] = en.match(/^(\s*)(.*?)(\s*)$/s);
    node.textContent = lang === "zh" ? `${lead}${el.dataset.zh}${tail}` : en;
  }
  for (const name of ATTRIBUTES) {
    const key = `zh${name.replace(/(^|-)(\w)/g, (_, __, c) => c.toUpperCase())}`;
    for (const el of root.querySelectorAll(`[data-zh-${name}]`)) {
      const original = `en${key.slice(2)}`;
      if (el.dataset[original] === undefined) el.dataset[original] = el.getAttribute(name) ?? "";
      el.setAttribute(name, lang === "zh" ? el.dataset[key] : el.dataset[original]);
    }
  }
}

/// Switches the window to `code` (`en` or `zh`).
export function setLanguage(code) {
  lang = code === "zh" ? "zh" : "en";
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.title = t("Terroir Station", "Terroir 工作站");
  translate();
}
