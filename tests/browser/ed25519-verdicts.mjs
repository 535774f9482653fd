// Checks every Ed25519 vector of the corpus in Debian's Chromium, as the buyer's page does, on a
// page of the ledger server (a secure context), and prints the verdicts as one JSON array: with
// the browser's WebCrypto, or with the page's own module (served at MODULE, a path) that a
// browser without Ed25519 in WebCrypto uses.
//
// node ed25519-verdicts.mjs URL VECTORS.json [MODULE]

import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const [url, path, module] = process.argv.slice(2);
const vectors = JSON.parse(readFileSync(path, 'utf8')).vectors;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  const page = await browser.newPage();
  await page.goto(url);
  const verdicts = await page.evaluate(async ({ vectors, module }) => {
    const bytes = (hex) => Uint8Array.from(hex.match(/../g) || [], (h) => parseInt(h, 16));
    const out = [];
    const own = module ? await import(module) : null;
    for (const v of vectors) {
      if (own) {
        out.push(await own.verifyStrict(bytes(v.key), bytes(v.signature), bytes(v.message)));
        continue;
      }
      try {
        const key = await crypto.subtle.importKey('raw', bytes(v.key), { name: 'Ed25519' }, false, ['verify']);
        out.push(await crypto.subtle.verify({ name: 'Ed25519' }, key, bytes(v.signature), bytes(v.message)));
      } catch {
        out.push(false);
      }
    }
    return out;
  }, { vectors, module });
  console.log(JSON.stringify(verdicts));
} finally {
  await browser.close();
}
