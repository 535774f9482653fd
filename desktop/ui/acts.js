// The "act on this asset" form: which acts fit the asset, their fields, and the JSON the
// station's `act` command takes. The station and the ledger's rules decide; this only asks.

import { h, formValues, showError, clearErrors } from "./dom.js";
import { quantity } from "./format.js";
import { t } from "./words.js";

// Each event's fields: name, [English, Chinese] label, input type.
const EVENTS = {
  vaccination: [["vaccine", ["Vaccine", "疫苗"]], ["withdrawalUntil", ["Withdrawal period ends", "休药期截止"], "date"]],
  weighing: [["massG", ["Mass (g)", "重量（克）"], "number"]],
  movement: [["from", ["From", "从"]], ["to", ["To", "到"]]],
  picking: [["garden", ["Garden", "茶园"]], ["massG", ["Fresh leaf (g)", "鲜叶（克）"], "number"]],
  pressing: [["press", ["Press", "压茶机"]]],
  storage: [["location", ["Location", "存放地点"]]],
  lab_certificate: [["laboratory", ["Laboratory", "检测机构"]], ["certificate", ["Certificate number", "证书编号"]], ["result", ["Result", "结果"]], ["file", ["Certificate file", "证书文件"], "file"]],
  note: [["text", ["Note", "备注"]]],
};

const EVENT_NAMES = {
  vaccination: ["vaccination", "疫苗接种"], weighing: ["weighing", "称重"], movement: ["movement", "转运"],
  picking: ["picking", "采摘"], pressing: ["pressing", "压制"], storage: ["storage", "仓储"],
  lab_certificate: ["lab certificate", "检测证书"], note: ["note", "备注"],
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
  event: ["Record an event", "记录事件"], transfer: ["Transfer ownership", "转让所有权"], custody: ["Hand to a warehouse", "交给仓库保管"],
  pledge: ["Pledge as collateral", "抵押质押"], release: ["Release the pledge", "解除质押"], split: ["Split", "拆分"],
  merge: ["Merge with other lots", "与其他批次合并"], slaughter: ["Slaughter", "屠宰"], cut: ["Cut into pieces", "分割"],
  press: ["Press into cakes", "压制成饼"], retire: ["Retire (sold, eaten, lost)", "注销（已售出、食用、遗失）"],
  unpack: ["Take out of its lot (to sell alone)", "从批次中取出（单独出售）"],
};

function field(name, label, type = "text", attrs = {}) {
  return h("label", {}, label, h("input", { name, type, ...attrs }));
}

function partySelect(name, label, parties, self) {
  const select = h("select", { name },
    h("option", { value: "" }, t("choose…", "请选择…")),
    ...parties.filter((p) => p.id !== self).map((p) => h("option", { value: p.id }, `${p.name} (${p.roles.join(", ")})`)));
  return h("label", {}, label, select, h("input", { name: `${name}Key`, placeholder: t("or paste an organisation key", "或粘贴组织密钥") }));
}

function fieldsFor(act, asset, parties, self) {
  switch (act) {
    case "event": {
      const events = EVENTS_FOR[asset.product.kind] || Object.keys(EVENTS);
      const select = h("select", { name: "event" }, ...events.map((e) => h("option", { value: e }, t(...EVENT_NAMES[e]))));
      const box = h("div", { class: "event-fields" });
      const render = () => {
        box.replaceChildren(...EVENTS[select.value].map(([n, l, type]) => field(n, t(...l), type || "text")));
      };
      select.addEventListener("change", render);
      render();
      return [h("label", {}, t("Event", "事件"), select), box];
    }
    case "transfer": return [partySelect("to", t("New owner", "新货主"), parties, self)];
    case "custody": return [partySelect("to", t("Warehouse", "仓库"), parties, self)];
    case "pledge": return [partySelect("financier", t("Financier", "金融机构"), parties, self)];
    case "split": {
      const total = quantity(asset.quantity, asset.product.kind);
      return [field("parts", t(`Parts, adding up to ${total}`, `各份数量，合计 ${total}`), "text", { placeholder: "60, 40" })];
    }
    case "merge": return [h("label", {}, t("Other lots (ids, one per line)", "其他批次（编号，每行一个）"), h("textarea", { name: "others", rows: 3 }))];
    case "slaughter": return [field("carcassG", t("Carcass weight (g)", "胴体重量（克）"), "number"), field("grade", t("Grade", "等级"))];
    case "cut": return [h("label", {}, t("Cuts, one per line: name and grams", "分割部位，每行一个：名称和克数"), h("textarea", { name: "cuts", rows: 4, placeholder: t("sirloin 12000", "西冷 12000") }))];
    case "press": return [
      field("count", t("Number of cakes", "饼数"), "number"), field("cakeWeightG", t("Cake weight (g)", "每饼重量（克）"), "number", { value: 357 }),
      field("lotNumber", t("Lot number", "批号")), field("pressedOn", t("Pressed on", "压制日期"), "date", { value: new Date().toISOString().slice(0, 10) }),
    ];
    case "retire": return [field("reason", t("Reason", "原因"), "text", { placeholder: t("sold to the consumer", "已售给消费者") })];
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
      for (const [n, , type] of EVENTS[v.event]) {
        if (type === "file") continue;
        event[n] = type === "number" ? Number(v[n] || 0) : v[n];
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
    default: throw { message: { en: `unknown act ${act}`, zh: `未知操作 ${act}` } };
  }
}

/// The form for acting on `asset`; `submit(form)` sends the act and returns what was done.
export function actForm(asset, detail, status, parties, submit) {
  const acts = actsFor(asset, detail.row.state);
  const choose = h("select", { id: "act-kind", name: "act" }, ...acts.map((a) => h("option", { value: a }, t(...TITLES[a]))));
  const fields = h("div", { class: "act-fields" });
  const form = h("form", { id: "act-form", class: "act" }, h("h3", {}, t("Act on these goods", "对这件货品操作")),
    h("label", {}, t("What", "操作"), choose), fields,
    h("button", { type: "submit", class: "primary", id: "act-submit" }, t("Sign and save", "签名并保存")));
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
