// dashboard.mjs BASE_URL SCREENSHOT — the browser test of issue 6 on the demo
// data: sign in to 豊橋市 as an administrator, make the checklist from the
// profile, open a round, answer an item, then open the dashboard: its charts
// are SVG drawn by the server, each with a table of its numbers beside it,
// and the page loads no script. Saves a screenshot of the dashboard.
import { chromium } from 'playwright-core';

const [base, shot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const fail = (m) => { console.error('FAIL: ' + m); process.exitCode = 1; };
const page = await browser.newPage({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } });
const cspErrors = [];
page.on('console', (m) => { if (/Content Security Policy/.test(m.text())) cspErrors.push(m.text()); });
try {
  await page.goto(base + '/login');
  await page.selectOption('#tenant', 'toyohashi');
  await page.fill('#login-name', 'info.planning.head');
  await page.fill('#password', 'Mamori-Demo-2026!');
  await Promise.all([page.waitForNavigation(), page.click('#signin')]);
  if (!(await page.title()).startsWith('ダッシュボード')) fail('dashboard title: ' + await page.title());

  await page.goto(base + '/inspection');
  await Promise.all([page.waitForNavigation(), page.click('#generate')]);
  if (!page.url().endsWith('/inspection/checklist')) fail('not on the checklist: ' + page.url());
  const items = await page.locator('#items tbody tr').count();
  if (items < 20) fail('checklist has ' + items + ' items');

  await page.goto(base + '/inspection');
  await page.fill('#new-round input[name=name]', '令和8年度 情報セキュリティ自己点検');
  await page.fill('#new-round input[name=fiscal_year]', '2026');
  await page.fill('#new-round input[name=deadline]', '2026-12-25');
  await Promise.all([page.waitForNavigation(), page.click('#new-round button')]);
  if (!/\/inspection\/rounds\/\d+$/.test(page.url())) fail('not on the round: ' + page.url());
  const form = page.locator('form.answer').first();
  await form.locator('select[name=answer]').selectOption('partial');
  await form.locator('input[name=note]').fill('一部の課で未実施');
  await Promise.all([page.waitForNavigation(), form.locator('button').click()]);
  const rate = await page.textContent('#body-rate');
  if (!/%$/.test(rate.trim())) fail('body rate: ' + rate);

  await page.goto(base + '/');
  for (const id of ['#chart-compliance', '#chart-incidents', '#chart-waiting', '#chart-classes',
                    '#chart-segments']) {
    if (await page.locator(id).count() !== 1) fail('missing ' + id);
  }
  const bars = await page.locator('#chart-compliance svg rect').count();
  if (bars < 2) fail('compliance chart has ' + bars + ' bars');
  const rows = await page.locator('#compliance-table tbody tr').count();
  if (rows < 1) fail('compliance table has ' + rows + ' rows');
  const layers = await page.locator('#segments-table tbody tr').count();
  if (layers < 3) fail('three-layer table has ' + layers + ' rows');
  const classes = await page.locator('#chart-classes table').count();
  if (classes < 1) fail('no classification table');
  if (await page.locator('script').count() !== 0) fail('the dashboard loads a script');
  if (cspErrors.length) fail('CSP violations: ' + cspErrors.join('; '));
  await page.screenshot({ path: shot, fullPage: true });
} catch (e) {
  fail(e.stack || String(e));
} finally {
  await browser.close();
}
if (!process.exitCode) console.log('browser dashboard: ok (' + shot + ')');
