import { chromium } from 'playwright-core';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
await page.goto('file://' + process.argv[2]);
await page.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
for (const sel of process.argv.slice(3)) {
  const el = await page.$(sel);
  await el.screenshot({ path: '/tmp/rp/shot-' + sel.replace(/[^a-z0-9]/gi, '_') + '.png' });
}
await browser.close();
