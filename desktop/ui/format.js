// Quantities, ids and times in a clerk's words: "50 cakes", "20 kg", "1 head", a short id with
// the whole one a hover away, the local date and time.

const number = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

/// A quantity as the goods count it: cakes for tea counted in pieces, head for cattle, grams
/// up to ten kilograms and kilograms beyond.
export function quantity(q, kind) {
  const n = q.amount;
  if (q.unit === "gram") return n >= 10000 ? `${number.format(n / 1000)} kg` : `${number.format(n)} g`;
  if (q.unit === "head") return `${number.format(n)} head`;
  const cakes = kind === "tea_cake" || kind === "tea_lot";
  const [one, many] = cakes ? ["cake", "cakes"] : ["piece", "pieces"];
  return `${number.format(n)} ${n === 1 ? one : many}`;
}

/// The first 8 hex digits of an id, and an ellipsis.
export function shortId(id) {
  return id ? `${String(id).slice(0, 8)}…` : "";
}

/// An id as the clerk reads it: short, the whole id as its tooltip and in `data-id`.
export function idCode(h, id, attrs = {}) {
  return h("code", { title: id, "data-id": id, ...attrs }, shortId(id));
}

const stamp = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/// A moment (milliseconds or an RFC 3339 string) in the station's local time.
export function localTime(at) {
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? String(at) : stamp.format(d);
}
