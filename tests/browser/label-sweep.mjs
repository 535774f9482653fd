// Opens every given label page in Debian's Chromium, one after another, waits for the page's
// own verdict and prints, as one JSON array, each page's verdict and the lines it found wrong.
//
// node label-sweep.mjs '{"urls": [...]}'

import { chromium } from 'playwright-core';

const { urls } = JSON.parse(process.argv[2]);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const out = [];
try {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
  for (const url of urls) {
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForFunction(() => document.body.dataset.verdict, null, { timeout: 30000 });
    out.push(await page.evaluate((url) => ({
      url,
      verdict: document.body.dataset.verdict,
      wrong: [...document.querySelectorAll('#v-list li.bad')].map((li) => li.textContent),
    }), url));
    await page.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
