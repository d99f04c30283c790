// Loads an agent's dashboard in headless Chromium and waits until its cross-check line flags the expected PC with the
// expected verdict (docs/cross-check.md: a PC whose records of shared traffic disagree with its peers'), as a person
// watching the page would see it. Saves a screenshot. Prints one JSON line of findings; exits 1 when the flag never shows.
// Usage: node check-cross-check.mjs <url> <screenshot.png> <origin> <verdict>
import { chromium } from 'playwright-core';

const [url, screenshot, origin, verdict] = process.argv.slice(2);
if (!url || !screenshot || !origin || !verdict) {
  console.error('usage: node check-cross-check.mjs <url> <screenshot.png> <origin> <verdict>');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
// The token travels in the fragment: never printed.
const findings = { url: url.split('#')[0], errors: [] };
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('pageerror', (e) => findings.errors.push(`page error: ${e.message}`));
  await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
  await page.waitForFunction((expected) => document.querySelector('#cross-check')?.textContent.includes(expected),
    `${origin} ${verdict}`, { timeout: 60_000 });
  findings.crossCheck = await page.textContent('#cross-check');
  // The evidence is in the element's title: what the PC reported against what its peers saw.
  findings.evidence = await page.getAttribute('#cross-check', 'title');
  await page.screenshot({ path: screenshot, fullPage: true });
} catch (e) {
  findings.errors.push(e.message.split('\n')[0]);
} finally {
  await browser.close();
}
console.log(JSON.stringify(findings));
process.exit(findings.errors.length === 0 ? 0 : 1);
