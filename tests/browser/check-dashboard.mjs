// Loads an agent's dashboard in headless Chromium and checks what a person would look for: the cluster's members,
// top talkers, and a chart that actually drew something. Saves a screenshot. Prints one JSON line of findings;
// exits 1 with the reason when a check fails.
// Usage: node check-dashboard.mjs <url> <screenshot.png> [expected member ...]
import { chromium } from 'playwright-core';

const [url, screenshot, ...expectedMembers] = process.argv.slice(2);
if (!url || !screenshot) {
  console.error('usage: node check-dashboard.mjs <url> <screenshot.png> [expected member ...]');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  // Without the background-networking flags Chromium keeps trying to reach its vendor's hosts.
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
// The token travels in the fragment: never printed.
const findings = { url: url.split('#')[0], errors: [] };
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('pageerror', (e) => findings.errors.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') findings.errors.push(`console: ${m.text()}`); });
  await page.goto(url, { waitUntil: 'load', timeout: 30_000 });

  await page.waitForFunction((names) => {
    const cells = [...document.querySelectorAll('#members tbody tr td:first-child')].map((td) => td.textContent);
    return names.every((n) => cells.includes(n)) && cells.length > 0;
  }, expectedMembers, { timeout: 60_000 });
  await page.waitForSelector('#talkers tbody tr', { timeout: 60_000 });

  findings.members = await page.$$eval('#members tbody tr', (rows) => rows.map((r) => ({
    name: r.cells[0].textContent, state: r.cells[1].textContent })));
  findings.talkers = await page.$$eval('#talkers tbody tr', (rows) => rows.map((r) => r.cells[0].textContent));
  // Zones: the top level lists every zone with its alive count; clicking one goes a level down.
  await page.waitForSelector('#zones tbody tr', { timeout: 30_000 });
  findings.zones = await page.$$eval('#zones tbody tr', (rows) => rows.map((r) => ({
    zone: r.cells[0].textContent, alive: r.cells[1].textContent })));
  const top = await page.textContent('#zones tbody tr td:first-child');
  await page.click('#zones tbody tr td:first-child a');
  await page.waitForFunction((t) => document.querySelector('#zones-path').textContent === `in ${t}`, top, { timeout: 15_000 });
  findings.zoneDrilled = await page.textContent('#zones-path');
  findings.coverage = await page.textContent('#coverage');
  // Drill-down: clicking the first talker shows its exact flows, fetched from the agents that observed them.
  await page.click('#talkers tbody tr td:first-child a');
  await page.waitForSelector('#flows tbody tr', { timeout: 30_000 });
  findings.drilled = await page.textContent('#flows-address');
  findings.flows = await page.$$eval('#flows tbody tr', (rows) => rows.map((r) => ({
    origin: r.cells[0].textContent, source: r.cells[2].textContent, destination: r.cells[3].textContent })));
  findings.flowsSummary = await page.textContent('#flows-summary');
  // Host context panels (programs, DNS names, RTT): each shows rows or says it has none, without a page error.
  await page.waitForFunction(() => ['programs', 'domains', 'rtt'].every((id) => document.querySelector(`#${id} tbody tr`)), null, { timeout: 30_000 });
  findings.hostContext = await page.$$eval('#programs tbody tr, #domains tbody tr, #rtt tbody tr', (rows) => rows.length);
  // A chart "renders" when its canvas holds painted pixels, not just when the element exists.
  findings.paintedPixels = await page.$eval('#talkers-chart', (canvas) => {
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted++;
    return painted;
  });
  await page.screenshot({ path: screenshot, fullPage: true });
} catch (e) {
  findings.errors.push(e.message.split('\n')[0]);
} finally {
  await browser.close();
}
console.log(JSON.stringify(findings));
const ok = findings.errors.length === 0 && findings.paintedPixels > 0;
process.exit(ok ? 0 : 1);
