// Small DOM helpers: elements from data (text only), forms, errors next to their field.

import { say } from "./words.js";

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === "") continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

export function show(el, visible) {
  el.hidden = !visible;
}

let toastTimer = null;
export function toast(message, isError = false) {
  const t = document.getElementById("toast");
  t.textContent = message;
  t.title = message;
  t.classList.toggle("error", isError);
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (t.hidden = true), 6000);
}

export function formValues(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.type === "file" || el.type === "submit") continue;
    if (el.type === "checkbox") {
      if (el.name === "roles") continue;
      out[el.name] = el.checked;
    } else {
      out[el.name] = el.value.trim();
    }
  }
  return out;
}

export function clearErrors(form) {
  form.querySelectorAll(".field-error").forEach((e) => e.remove());
  form.querySelectorAll(".invalid").forEach((e) => e.classList.remove("invalid"));
  form.querySelectorAll(".form-error").forEach((e) => e.remove());
}

/// Shows a station error next to the field it names, or at the top of the form.
export function showError(form, e) {
  const message = e && e.message ? say(e.message) : String(e);
  const input = e && e.field ? form.querySelector(`[name="${CSS.escape(e.field)}"]`) : null;
  if (input) {
    input.classList.add("invalid");
    input.after(h("div", { class: "field-error", role: "alert" }, message));
    input.focus();
  } else {
    form.prepend(h("div", { class: "form-error", role: "alert" }, message));
  }
}

/// Debounces `fn` by `ms`.
export function when(ms, fn) {
  let t = null;
  return () => {
    clearTimeout(t);
    t = setTimeout(fn, ms);
  };
}
