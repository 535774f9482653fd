// The "act on this asset" form: which acts fit the asset, their fields, and the JSON the
// station's `act` command takes. The station and the ledger's rules decide; this only asks.

import { h, formValues, showError, clearErrors } from "./dom.js";
import { quantity } from "./format.js";

const EVENTS = {
  vaccination: [["vaccine", "Vaccine"], ["withdrawalUntil", "Withdrawal period ends", "date"]],
  weighing: [["massG", "Mass (g)", "number"]],
  movement: [["from", "From"], ["to", "To"]],
  picking: [["garden", "Garden"], ["massG", "Fresh leaf (g)", "number"]],
  pressing: [["press", "Press"]],
  storage: [["location", "Location"]],
  lab_certificate: [["laboratory", "Laboratory"], ["certificate", "Certificate number"], ["result", "Result"], ["file", "Certificate file", "file"]],
  note: [["text", "Note"]],
};

/// The events a clerk records on each kind of goods, likeliest first (the first is the form's
/// default): no vaccination for tea, no pressing for cattle.
const EVENTS_FOR = {
  live_cattle: ["vaccination", "weighing", "movement", "lab_certificate", "note"],
  carcass: ["storage", "lab_certificate", "weighing", "movement", "note"],
  beef_cut: ["storage", "lab_certificate", "weighing", "movement", "note"],
  tea_maocha: ["storage", "lab_certificate", "picking", "weighing", "movement", "note"],
  tea_cake: ["storage", "lab_certificate", "movement", "note"],
  tea_lot: ["storage", "lab_certificate", "movement", "pressing", "note"],
  tea_garden: ["picking", "note"],
};

/// The acts that make sense for `asset` in its state.
function actsFor(asset, state) {
  if (state === "pledged") return ["release"];
  // A cake packed in its lot moves with the lot; it can be taken out to be sold alone.
  if (state === "contained") return ["event", "unpack"];
  const kind = asset.product.kind;
  const single = kind === "live_cattle" || kind === "tea_cake";
  const acts = ["event", "transfer", "custody", "pledge"];
  if (!single) acts.push("split", "merge");
  if (kind === "live_cattle") acts.push("slaughter");
  if (kind === "carcass" || kind === "beef_cut") acts.push("cut");
  if (kind === "tea_maocha") acts.push("press");
  acts.push("retire");
  return acts;
}

const TITLES = {
  event: "Record an event", transfer: "Transfer ownership", custody: "Hand to a warehouse",
  pledge: "Pledge as collateral", release: "Release the pledge", split: "Split", merge: "Merge with other lots",
  slaughter: "Slaughter", cut: "Cut into pieces", press: "Press into cakes", retire: "Retire (sold, eaten, lost)",
  unpack: "Take out of its lot (to sell alone)",
};

function field(name, label, type = "text", attrs = {}) {
  return h("label", {}, label, h("input", { name, type, ...attrs }));
}

function partySelect(name, label, parties, self) {
  const select = h("select", { name },
    h("option", { value: "" }, "choose…"),
    ...parties.filter((p) => p.id !== self).map((p) => h("option", { value: p.id }, `${p.name} (${p.roles.join(", ")})`)));
  return h("label", {}, label, select, h("input", { name: `${name}Key`, placeholder: "or paste an organisation key" }));
}

function fieldsFor(act, asset, parties, self) {
  switch (act) {
    case "event": {
      const events = EVENTS_FOR[asset.product.kind] || Object.keys(EVENTS);
      const select = h("select", { name: "event" }, ...events.map((e) => h("option", { value: e }, e.replace("_", " "))));
      const box = h("div", { class: "event-fields" });
      const render = () => {
        box.replaceChildren(...EVENTS[select.value].map(([n, l, t]) => field(n, l, t || "text")));
      };
      select.addEventListener("change", render);
      render();
      return [h("label", {}, "Event", select), box];
    }
    case "transfer": return [partySelect("to", "New owner", parties, self)];
    case "custody": return [partySelect("to", "Warehouse", parties, self)];
    case "pledge": return [partySelect("financier", "Financier", parties, self)];
    case "split": return [field("parts", `Parts, adding up to ${quantity(asset.quantity, asset.product.kind)}`, "text", { placeholder: "60, 40" })];
    case "merge": return [h("label", {}, "Other lots (ids, one per line)", h("textarea", { name: "others", rows: 3 }))];
    case "slaughter": return [field("carcassG", "Carcass weight (g)", "number"), field("grade", "Grade")];
    case "cut": return [h("label", {}, "Cuts, one per line: name and grams", h("textarea", { name: "cuts", rows: 4, placeholder: "sirloin 12000" }))];
    case "press": return [
      field("count", "Number of cakes", "number"), field("cakeWeightG", "Cake weight (g)", "number", { value: 357 }),
      field("lotNumber", "Lot number"), field("pressedOn", "Pressed on", "date", { value: new Date().toISOString().slice(0, 10) }),
    ];
    case "retire": return [field("reason", "Reason", "text", { placeholder: "sold to the consumer" })];
    default: return [];
  }
}

const numbers = (text) => text.split(/[\s,;+]+/).filter(Boolean).map(Number);

async function build(act, form, asset) {
  const v = formValues(form);
  const id = asset.id;
  const party = (name) => v[`${name}Key`] || v[name];
  switch (act) {
    case "event": {
      const event = { event: v.event };
      for (const [n, , t] of EVENTS[v.event]) {
        if (t === "file") continue;
        event[n] = t === "number" ? Number(v[n] || 0) : v[n];
      }
      const file = form.querySelector('input[name="file"]')?.files[0];
      const { fileAsBase64 } = await import("./api.js");
      const attachment = file ? { name: file.name, mediaType: file.type || "application/octet-stream", base64: await fileAsBase64(file) } : null;
      return { act: "event", assets: [id], event, attachment };
    }
    case "transfer": return { act: "transfer", assets: [id], to: party("to") };
    case "custody": return { act: "custody", assets: [id], to: party("to") };
    case "pledge": return { act: "pledge", asset: id, financier: party("financier") };
    case "release": return { act: "release", asset: id };
    case "split": return { act: "split", asset: id, parts: numbers(v.parts || "") };
    case "merge": return { act: "merge", assets: [id, ...(v.others || "").split(/\s+/).filter(Boolean)] };
    case "slaughter": return { act: "slaughter", asset: id, carcassG: Number(v.carcassG || 0), grade: v.grade };
    case "cut": return {
      act: "cut", asset: id,
      cuts: (v.cuts || "").split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
        const m = l.match(/^(.*?)\s+(\d+)\s*g?$/);
        return m ? { cut: m[1], grams: Number(m[2]) } : { cut: l, grams: 0 };
      }),
    };
    case "press": {
      const origin = asset.product.origin;
      return {
        act: "press", assets: [id],
        batch: {
          garden: origin.garden, mountain: origin.mountain || "", harvestSeason: origin.harvestSeason,
          pressedOn: v.pressedOn, cakeWeightG: Number(v.cakeWeightG || 357), count: Number(v.count || 0),
          lotNumber: v.lotNumber, packing: "lot",
        },
      };
    }
    case "retire": return { act: "retire", asset: id, reason: v.reason };
    case "unpack": return { act: "takeOut", asset: id };
    default: throw { message: `unknown act ${act}` };
  }
}

/// The form for acting on `asset`; `submit(form)` sends the act and returns what was done.
export function actForm(asset, detail, status, parties, submit) {
  const acts = actsFor(asset, detail.row.state);
  const choose = h("select", { id: "act-kind", name: "act" }, ...acts.map((a) => h("option", { value: a }, TITLES[a])));
  const fields = h("div", { class: "act-fields" });
  const form = h("form", { id: "act-form", class: "act" }, h("h3", {}, "Act on this asset"), h("label", {}, "What", choose), fields,
    h("button", { type: "submit", class: "primary", id: "act-submit" }, "Sign and save"));
  const render = () => fields.replaceChildren(...fieldsFor(choose.value, asset, parties, status.partyKey));
  choose.addEventListener("change", () => (clearErrors(form), render()));
  render();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await submit(await build(choose.value, form, asset));
    } catch (e) {
      showError(form, e);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}
