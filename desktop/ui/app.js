// Terroir Station's window. Every button calls one station command; the station checks,
// signs and stores, then the background sync sends. Text from the ledger is only ever set as
// text, never as HTML.

import { call, fileAsBase64, fileAsText } from "./api.js";
import { h, clear, show, toast, formValues, showError, clearErrors, when } from "./dom.js";
import { idCode, localTime, quantity, shortId } from "./format.js";
import { actForm } from "./acts.js";

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
  $("#coop-name").textContent = s ? `${s.coopName} · ${s.stationLabel}` : "";
  $("#count-pending").textContent = status.counts.pending;
  $("#count-landed").textContent = status.counts.landed;
  $("#count-refused").textContent = status.counts.refused;
  const sync = status.sync;
  const state = !status.setUp ? "not set up" : sync.state || "idle";
  $("#sync-indicator").dataset.state = state;
  $("#sync-state").textContent = state.replace("_", " ");
  $("#sync-state").title = sync.message || "";
  const progress = $("#sync-progress");
  progress.hidden = sync.state !== "syncing" || !sync.total;
  progress.max = sync.total || 1;
  progress.value = sync.sent || 0;
  show($("#setup"), !status.setUp);
  show($("#tabs"), status.setUp);
  if (!status.setUp) document.querySelectorAll(".tab").forEach((t) => show(t, false));
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
  };
  try {
    await call("setup", { form: body });
    await refreshStatus();
    toast("Station set up. Give the co-op key to the ledger operator to enrol the co-op.");
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
    toast("Keys restored. Finish the setup to use them.");
  } catch (e) {
    showError(event.target, e);
  }
}

// ---- assets -----------------------------------------------------------------------------

async function loadAssets() {
  const v = formValues($("#asset-filter"));
  const filter = { search: v.search || "", kind: v.kind || null, state: v.state || null, hideContained: !!v.hideContained };
  const rows = await call("assets", { filter }).catch((e) => (toast(e.message, true), []));
  const body = clear($("#asset-table tbody"));
  for (const row of rows) {
    const tr = h("tr", { "data-id": row.id, class: row.id === selected ? "selected" : "" },
      h("td", {}, h("div", {}, row.label), h("small", { class: "muted" }, shortId(row.id))),
      h("td", {}, h("span", { class: `state ${row.state}` }, row.state)));
    tr.addEventListener("click", () => openAsset(row.id));
    body.append(tr);
  }
  show($("#asset-empty"), rows.length === 0);
}

// The label stock and the printer offset: saved as soon as they change, and the preview
// redrawn for the stock's label size.
function printingForm(out, changed) {
  const stock = h("select", { id: "label-stock", "aria-label": "Label stock" });
  const x = h("input", { type: "number", step: "0.1", min: "-10", max: "10", id: "offset-x", "aria-label": "Printer offset right (mm)" });
  const y = h("input", { type: "number", step: "0.1", min: "-10", max: "10", id: "offset-y", "aria-label": "Printer offset down (mm)" });
  const open = h("input", { type: "checkbox", id: "open-sheet" });
  const form = h("div", { class: "printing" },
    h("label", {}, "Label stock ", stock),
    h("label", {}, "Printer offset, mm: right ", x), h("label", {}, " down ", y),
    h("label", {}, open, " Open the sheet to print it"));
  call("printing").then(({ stocks, printing }) => {
    for (const s of stocks) stock.append(h("option", { value: s.id }, s.name));
    stock.value = printing.stock;
    x.value = printing.offset.xMm;
    y.value = printing.offset.yMm;
    open.checked = printing.openSheet;
  }).catch((e) => (out.textContent = e.message));
  const save = async () => {
    try {
      const offset = { xMm: Number(x.value || 0), yMm: Number(y.value || 0) };
      await call("set_printing", { printing: { stock: stock.value, offset, openSheet: open.checked } });
      out.textContent = "";
      changed();
    } catch (e) {
      out.textContent = e.message;
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
    pane.append(h("p", { class: "error" }, e.message));
    return;
  }
  const a = d.row.asset;
  pane.append(
    h("h2", {}, d.row.label),
    h("dl", { class: "facts" },
      h("dt", {}, "State"), h("dd", {}, h("span", { class: `state ${d.row.state}`, id: "detail-state" }, d.row.state)),
      h("dt", {}, "Quantity"), h("dd", { id: "detail-quantity" }, quantity(a.quantity, a.product.kind)),
      h("dt", {}, "Owner"), h("dd", {}, partyName(a.owner)),
      h("dt", {}, "Custodian"), h("dd", {}, partyName(a.custodian)),
      h("dt", {}, "Id"), h("dd", {}, idCode(h, a.id, { id: "detail-id" })),
      d.uri ? h("dt", {}, "Label") : "", d.uri ? h("dd", {}, h("code", { id: "detail-uri" }, d.uri)) : ""),
  );
  if (d.uri) {
    const preview = h("img", { class: "label-preview", alt: "Label preview", id: "label-preview" });
    const drawPreview = () =>
      call("label_preview", { id }).then((b64) => (preview.src = `data:image/png;base64,${b64}`)).catch(() => {});
    drawPreview();
    const print = h("button", { type: "button", id: "print-labels", class: "primary" }, "Print label sheet (PDF)");
    const out = h("p", { class: "muted", id: "sheet-path" });
    const stockForm = printingForm(out, drawPreview);
    print.addEventListener("click", async () => {
      print.disabled = true;
      out.textContent = "Writing the sheet…";
      try {
        const sheet = await call("print_labels", { id });
        out.textContent = `${sheet.labels} labels written to ${sheet.path}`;
        if ($("#open-sheet").checked) {
          await call("open_sheet", { path: sheet.path })
            .then(() => (out.textContent += " — opened in the PDF viewer"))
            .catch((e) => (out.textContent += ` — ${e.message}`));
        }
      } catch (e) {
        out.textContent = e.message;
      } finally {
        print.disabled = false;
      }
    });
    pane.append(h("div", { class: "labels" }, preview, h("div", {}, stockForm, print, out)));
  }
  if (d.row.state === "active" || d.row.state === "pledged") {
    pane.append(actForm(a, d, status, partiesCache, async (form) => {
      const done = await call("act", { form });
      toast(`Saved: ${done.summary}`);
      await Promise.all([loadAssets(), refreshStatus()]);
      openAsset(done.created[0] || id);
      return done;
    }));
  }
  const refresh = h("button", { type: "button", id: "refresh-asset" }, "Refresh from the ledger");
  refresh.addEventListener("click", async () => {
    try {
      await call("fetch_asset", { query: id });
      openAsset(id);
    } catch (e) {
      toast(e.message, true);
    }
  });
  pane.append(h("p", {}, refresh));
  pane.append(h("h3", {}, "Lineage"));
  const lineage = h("ul", { class: "plain lineage" });
  for (const p of d.parents) lineage.append(linkTo(p, "from"));
  for (const c of d.children) lineage.append(linkTo(c, "to"));
  if (!d.parents.length && !d.children.length) lineage.append(h("li", { class: "muted" }, "registered here, nothing made from it yet"));
  pane.append(lineage);
  pane.append(h("h3", {}, "Timeline"));
  const timeline = h("ol", { class: "timeline" });
  for (const r of d.records) {
    timeline.append(h("li", { class: r.state },
      h("time", {}, localTime(r.signedAt)), " ", r.summary, " ",
      h("span", { class: `state ${r.state}` }, r.state === "landed" ? `in ledger #${r.logIndex}` : r.state),
      r.problem ? h("div", { class: "error" }, r.problem) : ""));
  }
  pane.append(timeline);
}

function linkTo(row, direction) {
  const li = h("li", {}, h("span", { class: "muted" }, direction === "from" ? "made from " : "became "),
    h("a", { href: "#", "data-id": row.id }, row.label), " ", h("span", { class: `state ${row.state}` }, row.state));
  li.querySelector("a").addEventListener("click", (e) => (e.preventDefault(), openAsset(row.id)));
  return li;
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
    toast(`Read from the ledger: ${row.label}`);
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
    toast(`${done.summary}: ${done.created.length - 1} cake tokens and their lot`);
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
    toast(done.summary);
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
    toast(done.summary);
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
    toast(`${done.summary}: ${done.created.length} animals`);
    form.reset();
    await afterRegistering(done.created[0]);
  });
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
  const rows = await call("records", { state: v.state || null, limit: 500 }).catch((e) => (toast(e.message, true), []));
  const body = clear($("#record-table tbody"));
  for (const r of rows) {
    body.append(h("tr", { class: r.state, "data-id": r.id },
      h("td", {}, String(r.seq)),
      h("td", {}, h("div", {}, r.summary), r.problem ? h("div", { class: "error" }, r.problem) : ""),
      h("td", {}, h("span", { class: `state ${r.state}` }, r.state)),
      h("td", {}, r.logIndex != null ? `#${r.logIndex}` : r.problemCode || "")));
  }
}

// ---- verification -----------------------------------------------------------------------

async function verify(event) {
  event.preventDefault();
  const form = event.target;
  const out = clear($("#verdicts"));
  out.append(h("p", { class: "muted" }, "Checking…"));
  try {
    const file = form.photo.files[0];
    const verdicts = file
      ? await call("verify_photo", { image: await fileAsBase64(file) })
      : [await call("verify_uri", { uri: form.uri.value.trim() })];
    clear(out);
    for (const v of verdicts) out.append(verdictCard(v));
  } catch (e) {
    clear(out).append(h("p", { class: "error" }, e.message));
  }
}

function verdictCard(v) {
  return h("div", { class: `verdict ${v.verified ? "ok" : "bad"}` },
    h("h3", {}, v.verified ? "Verified" : "Warning: not verified"),
    h("p", {}, v.label, " · ", h("span", { class: `state ${v.status}` }, v.status)),
    h("ul", { class: "checks" }, ...v.checks.map((c) =>
      h("li", { class: c.ok ? "ok" : "bad" }, c.ok ? "✓ " : "✗ ", c.what, h("small", { class: "muted" }, ` — ${c.detail}`)))),
    h("ol", { class: "timeline" }, ...v.history.map((l) => h("li", {}, `#${l.index} ${localTime(l.at)} ${l.act} `, h("code", {}, l.record)))));
}

// ---- station ----------------------------------------------------------------------------

async function loadStation() {
  if (!status || !status.setUp) return;
  const s = status.settings;
  $("#party-key").textContent = status.partyKey;
  $("#device-key").textContent = status.deviceKey;
  $("#enrolment").textContent = status.enrolled
    ? "The ledger has enrolled this co-op."
    : "Not enrolled yet: records wait in this station until the operator enrols the co-op key.";
  for (const which of ["party", "device"]) {
    call("key_qr", { which }).then((b64) => ($(`#${which}-qr`).src = `data:image/png;base64,${b64}`)).catch(() => {});
  }
  const f = $("#settings-form");
  f.serverUrl.value = s.serverUrl;
  f.teaGtin.value = s.teaGtin || "";
  f.cattleGtin.value = s.cattleGtin || "";
  $("#ledger-origin").textContent = `${s.origin} — ${s.verifierKey}`;
  await loadParties();
  const list = clear($("#party-list"));
  for (const p of partiesCache) {
    list.append(h("li", {}, h("b", {}, p.name), ` (${p.roles.join(", ")}) `, h("code", {}, shortId(p.id)),
      p.confirmed ? "" : h("small", { class: "muted" }, " — not yet confirmed by the ledger")));
  }
}

async function saveSettings(event) {
  event.preventDefault();
  const form = event.target;
  clearErrors(form);
  const v = formValues(form);
  try {
    await call("update_settings", { serverUrl: v.serverUrl, teaGtin: v.teaGtin, cattleGtin: v.cattleGtin });
    toast("Settings saved.");
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
  $("#verify-form").addEventListener("submit", verify);
  $("#fetch-form").addEventListener("submit", fetchAsset);
  $("#settings-form").addEventListener("submit", saveSettings);
  $("#asset-filter").addEventListener("input", when(250, loadAssets));
  $("#queue-filter").addEventListener("change", loadQueue);
  $("#sync-now").addEventListener("click", async () => {
    await call("sync_now").catch(() => {});
    toast("Sync started.");
  });
  $("#export-backup").addEventListener("click", async () => {
    try {
      $("#backup-path").textContent = `Backup written to ${await call("export_backup")}. Keep it offline.`;
    } catch (e) {
      $("#backup-path").textContent = e.message;
    }
  });
  $("#refresh-parties").addEventListener("click", async () => {
    try {
      toast(`${await call("refresh_parties")} organisations read from the ledger.`);
      await loadStation();
    } catch (e) {
      toast(e.message, true);
    }
  });
  const today = new Date().toISOString().slice(0, 10);
  $("#tea-form").pressedOn.value = today;
}

async function start() {
  wire();
  await refreshStatus();
  await loadParties();
  if (status && status.setUp) openTab("assets");
  let lastLanded = -1;
  setInterval(async () => {
    await refreshStatus();
    // When records settle, the queue follows (an open form is never redrawn under the clerk).
    if (status && status.counts.landed + status.counts.refused !== lastLanded) {
      lastLanded = status.counts.landed + status.counts.refused;
      if (!$("#tab-queue").hidden) loadQueue();
    }
  }, 1000);
  document.body.dataset.ready = "true";
}

start();
