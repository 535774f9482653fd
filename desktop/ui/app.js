// Terroir Station's window. Every button calls one station command; the station checks,
// signs and stores, then the background sync sends. Text from the ledger is only ever set as
// text, never as HTML.

import { call, fileAsBase64, fileAsText } from "./api.js";
import { h, clear, show, toast, formValues, showError, clearErrors, when } from "./dom.js";
import { idCode, localTime, quantity, shortId, stateWord } from "./format.js";
import { actForm } from "./acts.js";
import { language, say, setLanguage, t } from "./words.js";

const $ = (sel) => document.querySelector(sel);
let status = null;
let selected = null;

// ---- header and status ------------------------------------------------------------------

async function refreshStatus() {
  try {
    status = await call("status");
  } catch (e) {
    return;
  }
  const s = status.settings;
  if (s && s.language !== language()) applyLanguage(s.language);
  $("#coop-name").textContent = s ? `${s.coopName} · ${s.stationLabel}` : "";
  $("#count-pending").textContent = status.counts.pending;
  $("#count-landed").textContent = status.counts.landed;
  $("#count-refused").textContent = status.counts.refused;
  const sync = status.sync;
  const state = !status.setUp ? "not_set_up" : sync.state || "idle";
  $("#sync-indicator").dataset.state = state;
  $("#sync-state").textContent = syncWord(state);
  $("#sync-state").title = say(sync.message);
  const progress = $("#sync-progress");
  progress.hidden = sync.state !== "syncing" || !sync.total;
  progress.max = sync.total || 1;
  progress.value = sync.sent || 0;
  show($("#setup"), !status.setUp);
  show($("#tabs"), status.setUp);
  if (!status.setUp) document.querySelectorAll(".tab").forEach((t) => show(t, false));
}

function syncWord(state) {
  const words = {
    not_set_up: ["not set up", "尚未设置"], idle: ["up to date", "已同步"], syncing: ["sending", "正在发送"],
    offline: ["offline", "离线"], awaiting_enrolment: ["awaiting enrolment", "等待开通"], failed: ["stopped", "已停止"],
  }[state];
  return words ? t(...words) : state;
}

// ---- language ---------------------------------------------------------------------------

/// Switches the window's words and redraws what the scripts wrote.
function applyLanguage(code) {
  setLanguage(code);
  for (const select of document.querySelectorAll('select[name="language"]')) select.value = language();
  if (status) {
    $("#sync-state").textContent = syncWord($("#sync-indicator").dataset.state);
    const open = document.querySelector("#tabs button.active");
    if (status.setUp && open) openTab(open.dataset.tab);
    if (status.setUp && open && open.dataset.tab === "assets" && selected) openAsset(selected);
  }
}

// ---- tabs -----------------------------------------------------------------------------

const loaders = { assets: loadAssets, queue: loadQueue, station: loadStation, register: () => {}, verify: () => {} };

function openTab(name) {
  document.querySelectorAll("#tabs button").forEach((b) => b.classList.toggle("active", b.dataset.tab === name));
  document.querySelectorAll(".tab").forEach((t) => show(t, t.id === `tab-${name}`));
  loaders[name]();
}

// ---- setup ------------------------------------------------------------------------------

async function setup(event) {
  event.preventDefault();
  const form = event.target;
  clearErrors(form);
  const v = formValues(form);
  const roles = [...form.querySelectorAll('input[name="roles"]:checked')].map((i) => i.value);
  const body = {
    coopName: v.coopName, stationLabel: v.stationLabel, roles, serverUrl: v.serverUrl,
    origin: v.origin, verifierKey: v.verifierKey, teaGtin: v.teaGtin, cattleGtin: v.cattleGtin,
    language: v.language,
  };
  try {
    await call("setup", { form: body });
    await refreshStatus();
    toast(t("Station set up. Give the co-op key to the ledger operator to enrol the co-op.",
      "本站已设置。请把合作社密钥交给账本运营方，为合作社开通。"));
    openTab("station");
  } catch (e) {
    showError(form, e);
  }
}

async function restore(event) {
  event.preventDefault();
  const file = event.target.backup.files[0];
  if (!file) return;
  try {
    await call("restore_backup", { backup: await fileAsText(file) });
    toast(t("Keys restored. Finish the setup to use them.", "密钥已恢复。完成设置后即可使用。"));
  } catch (e) {
    showError(event.target, e);
  }
}

// ---- assets -----------------------------------------------------------------------------

async function loadAssets() {
  const v = formValues($("#asset-filter"));
  const filter = { search: v.search || "", kind: v.kind || null, state: v.state || null, hideContained: !!v.hideContained };
  const rows = await call("assets", { filter }).catch((e) => (toast(say(e.message), true), []));
  const body = clear($("#asset-table tbody"));
  for (const row of rows) {
    const tr = h("tr", { "data-id": row.id, class: row.id === selected ? "selected" : "" },
      h("td", {}, h("div", {}, say(row.label)), h("small", { class: "muted" }, shortId(row.id))),
      h("td", {}, h("span", { class: `state ${row.state}` }, stateWord(row.state))));
    tr.addEventListener("click", () => openAsset(row.id));
    body.append(tr);
  }
  show($("#asset-empty"), rows.length === 0);
}

// The label stock and the printer offset: saved as soon as they change, and the preview
// redrawn for the stock's label size.
function printingForm(out, changed) {
  const stock = h("select", { id: "label-stock", "aria-label": t("Label stock", "标签纸") });
  const x = h("input", { type: "number", step: "0.1", min: "-10", max: "10", id: "offset-x", "aria-label": t("Printer offset right (mm)", "打印向右偏移（毫米）") });
  const y = h("input", { type: "number", step: "0.1", min: "-10", max: "10", id: "offset-y", "aria-label": t("Printer offset down (mm)", "打印向下偏移（毫米）") });
  const open = h("input", { type: "checkbox", id: "open-sheet" });
  const form = h("div", { class: "printing" },
    h("label", {}, t("Label stock ", "标签纸 "), stock),
    h("label", {}, t("Printer offset, mm: right ", "打印偏移（毫米）：向右 "), x), h("label", {}, t(" down ", " 向下 "), y),
    h("label", {}, open, t(" Open the sheet to print it", " 打开标签页以便打印")));
  call("printing").then(({ stocks, printing }) => {
    for (const s of stocks) stock.append(h("option", { value: s.id }, stockName(s)));
    stock.value = printing.stock;
    x.value = printing.offset.xMm;
    y.value = printing.offset.yMm;
    open.checked = printing.openSheet;
  }).catch((e) => (out.textContent = say(e.message)));
  const save = async () => {
    try {
      const offset = { xMm: Number(x.value || 0), yMm: Number(y.value || 0) };
      await call("set_printing", { printing: { stock: stock.value, offset, openSheet: open.checked } });
      out.textContent = "";
      changed();
    } catch (e) {
      out.textContent = say(e.message);
    }
  };
  for (const el of [stock, x, y, open]) el.addEventListener("change", save);
  return form;
}

async function openAsset(id) {
  selected = id;
  document.querySelectorAll("#asset-table tr").forEach((tr) => tr.classList.toggle("selected", tr.dataset.id === id));
  const pane = clear($("#asset-detail"));
  show(pane, true);
  let d;
  try {
    d = await call("asset", { id });
  } catch (e) {
    pane.append(h("p", { class: "error" }, say(e.message)));
    return;
  }
  const a = d.row.asset;
  pane.append(
    h("h2", {}, say(d.row.label)),
    h("dl", { class: "facts" },
      h("dt", {}, t("State", "状态")), h("dd", {}, h("span", { class: `state ${d.row.state}`, id: "detail-state" }, stateWord(d.row.state))),
      h("dt", {}, t("Quantity", "数量")), h("dd", { id: "detail-quantity" }, quantity(a.quantity, a.product.kind)),
      h("dt", {}, t("Owner", "货主")), h("dd", {}, partyName(a.owner)),
      h("dt", {}, t("Held by", "保管方")), h("dd", {}, partyName(a.custodian)),
      h("dt", {}, t("Id", "编号")), h("dd", {}, idCode(h, a.id, { id: "detail-id" })),
      d.uri ? h("dt", {}, t("Label", "标签")) : "", d.uri ? h("dd", {}, h("code", { id: "detail-uri" }, d.uri)) : ""),
  );
  if (d.uri) {
    const preview = h("img", { class: "label-preview", alt: t("Label preview", "标签预览"), id: "label-preview" });
    const drawPreview = () =>
      call("label_preview", { id }).then((b64) => (preview.src = `data:image/png;base64,${b64}`)).catch(() => {});
    drawPreview();
    const print = h("button", { type: "button", id: "print-labels", class: "primary" }, t("Print label sheet (PDF)", "打印标签页（PDF）"));
    const out = h("p", { class: "muted", id: "sheet-path" });
    const stockForm = printingForm(out, drawPreview);
    print.addEventListener("click", async () => {
      print.disabled = true;
      out.textContent = t("Writing the sheet…", "正在生成标签页…");
      try {
        const sheet = await call("print_labels", { id });
        out.dataset.path = sheet.path;
        out.textContent = t(`${sheet.labels} labels written to ${sheet.path}`, `${sheet.labels} 张标签已写入 ${sheet.path}`);
        if ($("#open-sheet").checked) {
          await call("open_sheet", { path: sheet.path })
            .then(() => { out.textContent += t(" — opened in the PDF viewer", " — 已在 PDF 阅读器中打开"); out.dataset.opened = "true"; })
            .catch((e) => (out.textContent += ` — ${say(e.message)}`));
        }
      } catch (e) {
        out.textContent = say(e.message);
      } finally {
        print.disabled = false;
      }
    });
    pane.append(h("div", { class: "labels" }, preview, h("div", {}, stockForm, print, out)));
  }
  if (d.row.state === "active" || d.row.state === "pledged") {
    pane.append(actForm(a, d, status, partiesCache, async (form) => {
      const done = await call("act", { form });
      toast(t(`Saved: ${say(done.summary)}`, `已保存：${say(done.summary)}`));
      await Promise.all([loadAssets(), refreshStatus()]);
      openAsset(done.created[0] || id);
      return done;
    }));
  }
  const refresh = h("button", { type: "button", id: "refresh-asset" }, t("Refresh from the ledger", "从账本刷新"));
  refresh.addEventListener("click", async () => {
    try {
      await call("fetch_asset", { query: id });
      openAsset(id);
    } catch (e) {
      toast(say(e.message), true);
    }
  });
  pane.append(h("p", {}, refresh));
  pane.append(h("h3", {}, t("Lineage", "来龙去脉")));
  const lineage = h("ul", { class: "plain lineage" });
  for (const p of d.parents) lineage.append(linkTo(p, "from"));
  for (const c of d.children) lineage.append(linkTo(c, "to"));
  if (!d.parents.length && !d.children.length) lineage.append(h("li", { class: "muted" }, t("registered here, nothing made from it yet", "在此登记，尚未加工成别的货品")));
  pane.append(lineage);
  pane.append(h("h3", {}, t("Timeline", "时间线")));
  const timeline = h("ol", { class: "timeline" });
  for (const r of d.records) {
    timeline.append(h("li", { class: r.state },
      h("time", {}, localTime(r.signedAt)), " ", say(r.summary), " ",
      h("span", { class: `state ${r.state}` }, r.state === "landed" ? t(`in the ledger #${r.logIndex}`, `已入账 #${r.logIndex}`) : stateWord(r.state)),
      r.problem ? h("div", { class: "error" }, say(r.problem)) : ""));
  }
  pane.append(timeline);
}

function linkTo(row, direction) {
  const li = h("li", {}, h("span", { class: "muted" }, direction === "from" ? t("made from ", "来自 ") : t("became ", "变成 ")),
    h("a", { href: "#", "data-id": row.id }, say(row.label)), " ", h("span", { class: `state ${row.state}` }, stateWord(row.state)));
  li.querySelector("a").addEventListener("click", (e) => (e.preventDefault(), openAsset(row.id)));
  return li;
}

/// A label stock's name: its sheet and label size, then the size in the clerk's words.
function stockName(s) {
  return t(s.name, s.nameZh || s.name);
}

function roleWord(role) {
  const words = {
    cooperative: ["co-op", "合作社"], farm: ["farm", "农场"], processor: ["processor", "加工厂"], trader: ["trader", "贸易商"],
    warehouse: ["warehouse", "仓库"], financier: ["financier", "金融机构"], veterinarian: ["veterinarian", "兽医"], operator: ["operator", "运营方"],
  }[role];
  return words ? t(...words) : role;
}

let partiesCache = [];
function partyName(id) {
  const p = partiesCache.find((p) => p.id === id);
  return p ? p.name : shortId(id);
}

async function loadParties() {
  partiesCache = await call("parties").catch(() => []);
}

async function fetchAsset(event) {
  event.preventDefault();
  const form = event.target;
  clearErrors(form);
  await submitting(form, async () => {
    const row = await call("fetch_asset", { query: form.query.value });
    toast(t(`Read from the ledger: ${say(row.label)}`, `已从账本读取：${say(row.label)}`));
    form.reset();
    await loadAssets();
    openAsset(row.id);
  });
}

// ---- registration -----------------------------------------------------------------------

async function registerTea(event) {
  event.preventDefault();
  const form = event.target;
  clearErrors(form);
  const v = formValues(form);
  const body = {
    garden: v.garden, mountain: v.mountain, harvestSeason: v.harvestSeason, pressedOn: v.pressedOn,
    cakeWeightG: v.cakeWeightG ? Number(v.cakeWeightG) : null, count: Number(v.count || 0),
    lotNumber: v.lotNumber, packing: v.packing,
  };
  await submitting(form, async () => {
    const done = await call("register_tea", { form: body });
    const cakes = done.created.length - 1;
    toast(t(`${say(done.summary)}: ${cakes} cakes and their lot`, `${say(done.summary)}：${cakes} 饼及其批次`));
    form.reset();
    await afterRegistering(done.created[0]);
  });
}

async function registerGarden(event) {
  event.preventDefault();
  const form = event.target;
  clearErrors(form);
  const v = formValues(form);
  const body = {
    garden: v.garden, season: v.season, areaM2: Number(v.areaM2 || 0), yieldGPerM2: Number(v.yieldGPerM2 || 0),
  };
  await submitting(form, async () => {
    const done = await call("register_garden", { form: body });
    toast(say(done.summary));
    form.reset();
    await afterRegistering(done.created[0]);
  });
}

async function registerCattle(event) {
  event.preventDefault();
  const form = event.target;
  clearErrors(form);
  const v = formValues(form);
  const file = form.photo.files[0];
  const photo = file ? { name: file.name, mediaType: file.type || "image/jpeg", base64: await fileAsBase64(file) } : null;
  const body = { earTag: v.earTag, scheme: v.scheme, breed: v.breed, sex: v.sex, birthDate: v.birthDate, holding: v.holding, photo };
  await submitting(form, async () => {
    const done = await call("register_cattle", { form: body });
    toast(say(done.summary));
    form.reset();
    await afterRegistering(done.created[0]);
  });
}

async function importCsv(event) {
  event.preventDefault();
  const form = event.target;
  clearErrors(form);
  const file = form.csv.files[0];
  if (!file) return;
  await submitting(form, async () => {
    const done = await call("import_cattle_csv", { csv: await fileAsText(file) });
    toast(t(`${say(done.summary)}: ${done.created.length} animals`, `${say(done.summary)}：${done.created.length} 头`));
    form.reset();
    await afterRegistering(done.created[0]);
  });
}

async function importEpcis(event) {
  event.preventDefault();
  const form = event.target;
  clearErrors(form);
  const file = form.epcis.files[0];
  if (!file) return;
  const summary = $("#epcis-summary");
  const list = $("#epcis-result");
  await submitting(form, async () => {
    const lines = await call("import_epcis", { document: await fileAsText(file) });
    clear(list);
    for (const line of lines) list.append(epcisLine(line));
    const recorded = lines.filter((l) => l.records.length > 0 && !l.refused).length;
    const already = lines.filter((l) => l.already).length;
    const refused = lines.filter((l) => l.refused).length;
    summary.textContent = t(
      `${lines.length} events: ${recorded} recorded, ${already} already in the ledger, ${refused} not (or not wholly) recorded`,
      `${lines.length} 个事件：已登记 ${recorded} 个，账本中已有 ${already} 个，未登记（或未全部登记）${refused} 个`);
    show(summary, true);
    show(list, lines.length > 0);
    toast(summary.textContent);
    form.epcis.value = "";
    await Promise.all([loadAssets(), refreshStatus()]);
  });
}

/// One event of an imported document (the list numbers them as the document orders them): what
/// it became, or why it did not.
function epcisLine(line) {
  const name = `${line.kind}${line.eventId ? ` (${line.eventId})` : ""}`;
  const said = line.records.map(([id, words]) => `${t("recorded", "已登记")} ${shortId(id)}: ${say(words)}`);
  if (line.already) said.push(`${t("already in the ledger", "账本中已有")}: ${say(line.already)}`);
  if (line.refused) said.push(`${t("not recorded", "未登记")}: ${say(line.refused)}`);
  return h("li", { class: line.refused ? "refused" : null }, h("strong", {}, name), " — ", said.join("; "));
}

async function submitting(form, work) {
  const buttons = form.querySelectorAll("button");
  buttons.forEach((b) => (b.disabled = true));
  try {
    await work();
  } catch (e) {
    showError(form, e);
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

async function afterRegistering(id) {
  await refreshStatus();
  openTab("assets");
  if (id) openAsset(id);
}

// ---- queue ------------------------------------------------------------------------------

async function loadQueue() {
  const v = formValues($("#queue-filter"));
  const rows = await call("records", { state: v.state || null, limit: 500 }).catch((e) => (toast(say(e.message), true), []));
  const body = clear($("#record-table tbody"));
  for (const r of rows) {
    body.append(h("tr", { class: r.state, "data-id": r.id },
      h("td", {}, String(r.seq)),
      h("td", {}, h("div", {}, say(r.summary)), r.problem ? h("div", { class: "error" }, say(r.problem)) : ""),
      h("td", {}, h("span", { class: `state ${r.state}` }, stateWord(r.state))),
      h("td", {}, r.logIndex != null ? `#${r.logIndex}` : r.problemCode || "")));
  }
}

// ---- verification -----------------------------------------------------------------------

async function verify(event) {
  event.preventDefault();
  const form = event.target;
  const out = clear($("#verdicts"));
  out.append(h("p", { class: "muted" }, t("Checking…", "正在核对…")));
  try {
    const file = form.photo.files[0];
    const verdicts = file
      ? await call("verify_photo", { image: await fileAsBase64(file) })
      : [await call("verify_uri", { uri: form.uri.value.trim() })];
    clear(out);
    for (const v of verdicts) out.append(verdictCard(v));
  } catch (e) {
    clear(out).append(h("p", { class: "error" }, say(e.message)));
  }
}

function verdictCard(v) {
  return h("div", { class: `verdict ${v.verified ? "ok" : "bad"}` },
    h("h3", {}, v.verified ? t("Verified", "已验证") : t("Warning: not verified", "警告：未通过验证")),
    h("p", {}, say(v.label), " · ", h("span", { class: `state ${v.status}` }, stateWord(v.status))),
    h("ul", { class: "checks" }, ...v.checks.map((c) =>
      h("li", { class: c.ok ? "ok" : "bad" }, c.ok ? "✓ " : "✗ ", say(c.what), h("small", { class: "muted" }, ` — ${say(c.detail)}`)))),
    h("ol", { class: "timeline" }, ...v.history.map((l) => h("li", {}, `#${l.index} ${localTime(l.at)} ${say(l.act)} `, h("code", {}, l.record)))));
}

// ---- station ----------------------------------------------------------------------------

async function loadStation() {
  if (!status || !status.setUp) return;
  const s = status.settings;
  $("#party-key").textContent = status.partyKey;
  $("#device-key").textContent = status.deviceKey;
  $("#enrolment").textContent = status.enrolled
    ? t("The ledger has enrolled this co-op.", "账本已为本合作社开通。")
    : t("Not enrolled yet: records wait in this station until the operator enrols the co-op key.",
      "尚未开通：在运营方为合作社密钥开通之前，记录都保存在本站。");
  for (const which of ["party", "device"]) {
    call("key_qr", { which }).then((b64) => ($(`#${which}-qr`).src = `data:image/png;base64,${b64}`)).catch(() => {});
  }
  const f = $("#settings-form");
  f.serverUrl.value = s.serverUrl;
  f.teaGtin.value = s.teaGtin || "";
  f.cattleGtin.value = s.cattleGtin || "";
  f.language.value = s.language;
  $("#ledger-origin").textContent = `${s.origin} — ${s.verifierKey}`;
  await loadParties();
  const list = clear($("#party-list"));
  for (const p of partiesCache) {
    list.append(h("li", {}, h("b", {}, p.name), ` (${p.roles.map(roleWord).join(t(", ", "、"))}) `, h("code", {}, shortId(p.id)),
      p.confirmed ? "" : h("small", { class: "muted" }, t(" — not yet confirmed by the ledger", " — 账本尚未确认"))));
  }
}

async function saveSettings(event) {
  event.preventDefault();
  const form = event.target;
  clearErrors(form);
  const v = formValues(form);
  try {
    await call("update_settings", { serverUrl: v.serverUrl, teaGtin: v.teaGtin, cattleGtin: v.cattleGtin });
    toast(t("Settings saved.", "设置已保存。"));
    await refreshStatus();
  } catch (e) {
    showError(form, e);
  }
}

// ---- wiring -----------------------------------------------------------------------------

function wire() {
  document.querySelectorAll("#tabs button").forEach((b) => b.addEventListener("click", () => openTab(b.dataset.tab)));
  $("#setup-form").addEventListener("submit", setup);
  $("#restore-form").addEventListener("submit", restore);
  $("#tea-form").addEventListener("submit", registerTea);
  $("#garden-form").addEventListener("submit", registerGarden);
  $("#cattle-form").addEventListener("submit", registerCattle);
  $("#csv-form").addEventListener("submit", importCsv);
  $("#epcis-form").addEventListener("submit", importEpcis);
  $("#verify-form").addEventListener("submit", verify);
  $("#fetch-form").addEventListener("submit", fetchAsset);
  $("#settings-form").addEventListener("submit", saveSettings);
  $("#asset-filter").addEventListener("input", when(250, loadAssets));
  $("#queue-filter").addEventListener("change", loadQueue);
  $("#sync-now").addEventListener("click", async () => {
    await call("sync_now").catch(() => {});
    toast(t("Sync started.", "已开始同步。"));
  });
  $("#export-backup").addEventListener("click", async () => {
    try {
      const path = await call("export_backup");
      $("#backup-path").textContent = t(`Backup written to ${path}. Keep it offline.`, `备份已写入 ${path}。请离线保存。`);
    } catch (e) {
      $("#backup-path").textContent = say(e.message);
    }
  });
  $("#refresh-parties").addEventListener("click", async () => {
    try {
      const n = await call("refresh_parties");
      toast(t(`${n} organisations read from the ledger.`, `已从账本读取 ${n} 个组织。`));
      await loadStation();
    } catch (e) {
      toast(say(e.message), true);
    }
  });
  $("#setup-language").addEventListener("change", (e) => applyLanguage(e.target.value));
  $("#settings-language").addEventListener("change", async (e) => {
    try {
      await call("set_language", { language: e.target.value });
      applyLanguage(e.target.value);
    } catch (err) {
      toast(say(err.message), true);
    }
  });
  const today = new Date().toISOString().slice(0, 10);
  $("#tea-form").pressedOn.value = today;
}

async function start() {
  // Before setup, the window speaks the system's language if it is one of its two.
  applyLanguage((navigator.language || "").toLowerCase().startsWith("zh") ? "zh" : "en");
  wire();
  await refreshStatus();
  await loadParties();
  if (status && status.setUp) openTab("assets");
  let lastLanded = -1;
  let wasEnrolled = null;
  setInterval(async () => {
    await refreshStatus();
    // The keys card says whether the ledger has enrolled the co-op: it follows the ledger.
    if (status && status.enrolled !== wasEnrolled) {
      wasEnrolled = status.enrolled;
      if (!$("#tab-station").hidden) loadStation();
    }
    // When records settle, the queue follows (an open form is never redrawn under the clerk).
    if (status && status.counts.landed + status.counts.refused !== lastLanded) {
      lastLanded = status.counts.landed + status.counts.refused;
      if (!$("#tab-queue").hidden) loadQueue();
    }
  }, 1000);
  document.body.dataset.ready = "true";
}

start();
