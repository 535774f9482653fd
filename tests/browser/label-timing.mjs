// The buyer's page as a phone on a slow network gets it: Debian's Chromium at 360 px, slow 3G
// (400 ms latency, 400 kbit/s each way) and 4× CPU throttling, a cold cache every run. For each
// page it measures the first contentful paint and the time until the page's own verdict, on the
// ledger server and, side by side in the same run, on a baseline: the same bytes (the page with
// its script, and the evidence, gzipped) served as static files by a bare Node server. It
// also runs axe-core on each page. Prints one JSON object.
//
// node label-timing.mjs '{"runs": N, "pages": [{"name", "url"}]}'

import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';

const spec = JSON.parse(process.argv[2]);
const axeSource = readFileSync(new URL('./node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');

// The bytes a page needs, fetched once from the ledger server.
async function snapshot(url) {
  const get = async (u, accept) => {
    const r = await fetch(u, { headers: { accept, 'accept-encoding': 'identity' } });
    return { type: r.headers.get('content-type'), body: Buffer.from(await r.arrayBuffer()) };
  };
  const origin = new URL(url).origin;
  const page = await get(url, 'text/html');
  const html = page.body.toString('utf8');
  const asset = /data-asset="([0-9a-f]{64})"/.exec(html)[1];
  const files = new Map([
    [new URL(url).pathname, page],
    [`/api/assets/${asset}/evidence`, await get(`${origin}/api/assets/${asset}/evidence`, 'application/json')],
  ]);
  for (const f of files.values()) f.gzip = gzipSync(f.body, { level: 9 });
  return files;
}

function serve(files) {
  const server = createServer((req, res) => {
    const f = files.get(req.url);
    if (!f) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': f.type, 'content-encoding': 'gzip' });
    res.end(f.gzip);
  });
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done(server)));
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});

async function load(url) {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await page.addInitScript(() => {
    new MutationObserver(() => {
      if (document.body && document.body.dataset.verdict && !window.__verdictAt) window.__verdictAt = performance.now();
    }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-verdict'] });
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 400, downloadThroughput: 400_000 / 8, uploadThroughput: 400_000 / 8,
  });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  await page.goto(url);
  await page.waitForFunction(() => window.__verdictAt, null, { timeout: 60000 });
  const times = await page.evaluate(() => ({
    verdict: window.__verdictAt,
    paint: (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime,
    verdictState: document.body.dataset.verdict,
    state: (performance.getEntriesByName('terroir:state-proofs')[0] || {}).duration,
    proofs: ((performance.getEntriesByName('terroir:state-proofs')[0] || {}).detail || {}).proofs,
  }));
  await context.close();
  return times;
}

async function accessibility(url) {
  // axe runs as an injected script, which the page's own policy forbids: this context alone
  // bypasses it.
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, bypassCSP: true });
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.summary, null, { timeout: 30000 });
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] }))
    .violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })));
  await context.close();
  return violations;
}

const out = [];
try {
  for (const { name, url } of spec.pages) {
    const files = await snapshot(url);
    const server = await serve(files);
    const baseline = `http://127.0.0.1:${server.address().port}${new URL(url).pathname}`;
    const ours = [], base = [];
    for (let i = 0; i < spec.runs; i++) {
      ours.push(await load(url));
      base.push(await load(baseline));
    }
    server.close();
    out.push({
      name,
      bytes: { page: files.get(new URL(url).pathname).gzip.length, total: [...files.values()].reduce((n, f) => n + f.gzip.length, 0) },
      verdictMs: median(ours.map((t) => t.verdict)),
      paintMs: median(ours.map((t) => t.paint)),
      baselineVerdictMs: median(base.map((t) => t.verdict)),
      baselinePaintMs: median(base.map((t) => t.paint)),
      stateMs: median(ours.map((t) => t.state)),
      stateProofs: ours[0] && ours[0].proofs,
      verdicts: ours.map((t) => t.verdictState),
      axe: await accessibility(url),
    });
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
