// Quantities, ids, states and times in a clerk's words: "50 cakes" / "50 饼", "20 kg" /
// "20 千克", "1 head" / "1 头", a short id with the whole one a hover away, the local date and
// time.

import { locale, t } from "./words.js";

const number = (n) => new Intl.NumberFormat(locale(), { maximumFractionDigits: 3 }).format(n);

/// A quantity as the goods count it: cakes for tea counted in pieces, head for cattle, grams
/// up to ten kilograms and kilograms beyond.
export function quantity(q, kind) {
  const n = q.amount;
  if (q.unit === "gram") return n >= 10000 ? t(`${number(n / 1000)} kg`, `${number(n / 1000)} 千克`) : t(`${number(n)} g`, `${number(n)} 克`);
  if (q.unit === "head") return t(`${number(n)} head`, `${number(n)} 头`);
  if (kind === "tea_cake" || kind === "tea_lot") return t(`${number(n)} ${n === 1 ? "cake" : "cakes"}`, `${number(n)} 饼`);
  return t(`${number(n)} ${n === 1 ? "piece" : "pieces"}`, `${number(n)} 件`);
}

/// An asset's or a record's state in words.
export function stateWord(state) {
  const words = {
    active: ["active", "在用"], pledged: ["pledged", "已质押"], contained: ["in a lot", "在批次中"],
    consumed: ["consumed", "已耗用"], retired: ["retired", "注销"],
    pending: ["waiting to be sent", "待发送"], landed: ["in the ledger", "已入账"], refused: ["refused", "被拒绝"],
  }[state];
  return words ? t(...words) : String(state ?? "");
}

/// The first 8 hex digits of an id, and an ellipsis.
export function shortId(id) {
  return id ? `${String(id).slice(0, 8)}…` : "";
}

/// An id as the clerk reads it: short, the whole id as its tooltip and in `data-id`.
export function idCode(h, id, attrs = {}) {
  return h("code", { title: id, "data-id": id, ...attrs }, shortId(id));
}

/// A moment (milliseconds or an RFC 3339 string) in the station's local time.
export function localTime(at) {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return String(at);
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short" }).format(d);
}
