// Lighthouse's mobile audit (its default: a mid-range phone on slow 4G, simulated) of each page,
// in Debian's Chromium. Prints one JSON array: each page's four category scores (0–100) and the
// audits that lost points.
//
// node lighthouse.mjs '{"pages": [{"name", "url"}]}'

import lighthouse from 'lighthouse';
import * as chromeLauncher from 'chrome-launcher';

const spec = JSON.parse(process.argv[2]);
const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROMIUM || '/usr/bin/chromium',
  chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const out = [];
try {
  for (const { name, url } of spec.pages) {
    const result = await lighthouse(url, {
      port: chrome.port,
      output: 'json',
      logLevel: 'error',
      onlyCategories: ['performance', 'accessibility', 'best-practices', 'seo'],
    });
    const { categories, audits } = result.lhr;
    const scores = Object.fromEntries(Object.entries(categories).map(([k, c]) => [k, Math.round(c.score * 100)]));
    // The weighted audits that lost points, per category.
    const lost = Object.fromEntries(Object.entries(categories).map(([k, c]) => [k, c.auditRefs
      .filter((r) => r.weight > 0 && audits[r.id].score !== null && audits[r.id].score < 1)
      .map((r) => `${r.id}: ${audits[r.id].displayValue || audits[r.id].title}`)]));
    out.push({ name, scores, lost });
  }
} finally {
  await chrome.kill();
}
console.log(JSON.stringify(out));
