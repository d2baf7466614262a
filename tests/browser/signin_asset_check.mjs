// signin_asset_check.mjs BASE_URL SCREENSHOT — the browser test of issue 3:
// sign in, add an asset, ask 「この操作はできますか？」, save a screenshot.
// Debian's chromium driven by playwright-core (no browser download).
import { chromium } from 'playwright-core';

const [base, shot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const fail = (m) => { console.error('FAIL: ' + m); process.exitCode = 1; };
const page = await browser.newPage({ locale: 'ja-JP' });
const cspErrors = [];
page.on('console', (m) => { if (/Content Security Policy/.test(m.text())) cspErrors.push(m.text()); });
try {
  await page.goto(base + '/');
  if (!page.url().endsWith('/login')) fail('not redirected to /login: ' + page.url());
  await page.selectOption('#tenant', 'toyohashi');
  await page.fill('#login-name', 'admin1');
  await page.fill('#password', 'Correct-Horse-9!');
  await Promise.all([page.waitForNavigation(), page.click('#signin')]);
  if (!(await page.title()).startsWith('ダッシュボード')) fail('dashboard title: ' + await page.title());

  await page.goto(base + '/assets/new');
  await page.fill('#asset-name-input', '住民票の写し交付記録<script>alert(1)</script>');
  await page.selectOption('#class-importance', 'I');
  await Promise.all([page.waitForNavigation(), page.click('#asset-save')]);
  if (!/\/assets\/\d+$/.test(page.url())) fail('not on the new asset page: ' + page.url());
  const name = await page.textContent('#asset-name');
  if (name !== '住民票の写し交付記録<script>alert(1)</script>') fail('asset name shown as ' + name);
  const handling = await page.textContent('#handling');
  if (!handling.includes('重要性分類Ⅰ')) fail('handling restrictions missing');

  await page.selectOption('#check-action', 'info.send');
  await page.selectOption('#ctx-destination', 'external');
  await Promise.all([page.waitForNavigation(), page.click('#check-submit')]);
  const decision = await page.textContent('#decision');
  if (!/できます|できません|承認が必要です/.test(decision)) fail('no verdict: ' + decision);
  if (!decision.includes('第6')) fail('no cited clause: ' + decision);
  await page.screenshot({ path: shot, fullPage: true });

  await page.goto(base + '/assets');
  const rows = await page.locator('#assets tbody tr').count();
  if (rows < 1) fail('asset list empty');
  if (cspErrors.length) fail('CSP violations: ' + cspErrors.join('\n'));
} catch (e) {
  fail(e.stack || String(e));
} finally {
  await browser.close();
}
if (!process.exitCode) console.log('browser: ok (' + shot + ')');
