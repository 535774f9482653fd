// Opens a label page in Debian's Chromium at a phone's size, once per visit, each visit in a
// fresh browser context (a different phone), waits for the page's own verdict and its check
// count, saves a screenshot, and prints what the page showed as one JSON line.
//
// node label-page.mjs '{"screenshots": DIR, "visits": [{"url", "name", "locale"?,
//   "geolocation"?: {latitude, longitude}, "shareRegion"?: bool, "report"?: bool,
//   "withoutEd25519"?: bool, "absent"?: bool (a code the ledger says it never issued),
//   "busy"?: n (the first n requests for the evidence answered 503 busy, Retry-After: 1, as a
//   crowded ledger answers)}]}'

import { chromium } from 'playwright-core';

const spec = JSON.parse(process.argv[2]);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const results = [];
try {
  for (const visit of spec.visits) {
    const context = await browser.newContext({
      viewport: { width: 360, height: 740 },
      isMobile: true,
      hasTouch: true,
      locale: visit.locale || 'en-GB',
      geolocation: visit.geolocation,
      permissions: visit.geolocation ? ['geolocation'] : [],
    });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    if (visit.withoutEd25519) {
      // A browser whose WebCrypto predates Ed25519.
      await page.addInitScript(() => {
        const importKey = crypto.subtle.importKey.bind(crypto.subtle);
        crypto.subtle.importKey = (format, key, algorithm, ...rest) =>
          (algorithm && (algorithm.name || algorithm)) === 'Ed25519'
            ? Promise.reject(new DOMException('Ed25519 is not supported', 'NotSupportedError'))
            : importKey(format, key, algorithm, ...rest);
      });
    }
    let refused = 0;
    if (visit.busy) {
      await page.route('**/api/assets/*/evidence', (route) => (refused++ < visit.busy
        ? route.fulfill({
          status: 503,
          headers: { 'Retry-After': '1', 'Content-Type': 'application/problem+json' },
          body: JSON.stringify({ code: 'busy', status: 503, title: 'The server is busy' }),
        })
        : route.continue()));
    }
    const response = await page.goto(visit.url);
    await page.waitForFunction(() => document.body.dataset.verdict, null, { timeout: 30000 });
    // The page for an unknown code proves its absence and counts no check.
    if (!visit.absent) await page.waitForFunction(() => document.body.dataset.clone, null, { timeout: 30000 });
    await page.waitForFunction(() => document.body.dataset.summary, null, { timeout: 30000 });
    if (visit.report) {
      await page.click('#report');
      await page.waitForFunction(() => !document.querySelector('#report'), null, { timeout: 30000 });
    }
    if (visit.shareRegion) {
      await page.click('#share-region');
      await page.waitForFunction(() => !document.querySelector('#share-region'), null, { timeout: 30000 });
    }
    // What the buyer sees first, and the whole page.
    await page.screenshot({ path: `${spec.screenshots}/${visit.name}.png` });
    await page.screenshot({ path: `${spec.screenshots}/${visit.name}-full.png`, fullPage: true });
    results.push(await page.evaluate(({ status, errors, refused }) => {
      // An element's own text, without the signed record the page unfolds beneath it.
      const own = (e) => [...e.childNodes].filter((n) => n.nodeName !== 'DETAILS').map((n) => n.textContent).join('');
      const texts = (sel) => [...document.querySelectorAll(sel)].map((e) => own(e).trim());
      return {
        status,
        errors,
        lang: document.documentElement.lang,
        verdict: document.body.dataset.verdict,
        summary: document.body.dataset.summary,
        summaryLines: [...document.querySelectorAll('#summary p')].filter((p) => !p.hidden).map((p) => p.textContent),
        clone: document.body.dataset.clone,
        title: document.querySelector('h1').textContent,
        verdictTitle: document.querySelector('#v-title').textContent,
        verdictLines: texts('#v-list li'),
        cloneLines: texts('#clone li'),
        lineage: texts('#lineage > li'),
        certificates: texts('#certificates > li'),
        facts: [...document.querySelectorAll('dl > dt')].map((dt) => `${dt.textContent}: ${dt.nextElementSibling.textContent}`),
        journey: texts('#journey > li'),
        journeyChecked: document.querySelectorAll('#journey > li.ok').length,
        journeyFailed: document.querySelectorAll('#journey > li.bad').length,
        scans: document.querySelector('#scan-text')?.textContent ?? null,
        privacy: document.querySelector('#privacy')?.textContent ?? null,
        width: document.documentElement.scrollWidth,
        waitedBusy: Number(document.body.dataset.busy || 0),
        refused,
      };
    }, { status: response.status(), errors, refused }));
    await context.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(results));
