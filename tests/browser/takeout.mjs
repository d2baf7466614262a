// takeout.mjs BASE_URL SCREENSHOT — the browser test of issue 5: one full
// take-out. staff1 applies; the section head mgr1 approves; staff1 confirms
// the obligations, takes the device out and returns it. Every step through
// the Japanese pages, with the CSP watched.
import { chromium } from 'playwright-core';

const [base, shot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const fail = (m) => { console.error('FAIL: ' + m); process.exitCode = 1; };
const cspErrors = [];

async function signedIn(login) {
  const ctx = await browser.newContext({ locale: 'ja-JP' });
  const page = await ctx.newPage();
  page.on('console', (m) => { if (/Content Security Policy/.test(m.text())) cspErrors.push(m.text()); });
  await page.goto(base + '/login');
  await page.selectOption('#tenant', 'toyohashi');
  await page.fill('#login-name', login);
  await page.fill('#password', 'Correct-Horse-9!');
  await Promise.all([page.waitForNavigation(), page.click('#signin')]);
  return page;
}

try {
  const staff = await signedIn('staff1');
  await staff.goto(base + '/applications');
  await Promise.all([staff.waitForNavigation(), staff.click('#new-takeout')]);
  await staff.fill('#f-title', '説明会用ノートPCの持ち出し');
  await staff.selectOption('#f-cls-importance', 'II');
  await staff.fill('#f-destination', '名古屋市民会館');
  await staff.fill('#f-purpose', '制度説明会');
  const due = new Date(Date.now() + 3 * 86400e3).toISOString().slice(0, 10);
  await staff.fill('#f-due_on', due);
  await staff.selectOption('#ctx-destination', 'external');
  await Promise.all([staff.waitForNavigation(), staff.click('#f-submit')]);
  const m = staff.url().match(/\/applications\/(\d+)$/);
  if (!m) throw new Error('not on the application page: ' + staff.url());
  const appUrl = staff.url();
  if ((await staff.textContent('#app-state')) !== '承認待ち') fail('state after filing: ' + await staff.textContent('#app-state'));
  if (!(await staff.textContent('#app-decision')).includes('第5 1(2)')) fail('clause not cited');
  if (!(await staff.textContent('#app-route')).includes('情報セキュリティ管理者')) fail('route not shown');

  const mgr = await signedIn('mgr1');
  await mgr.goto(base + '/applications');
  if ((await mgr.locator('#to-approve tbody tr').count()) !== 1) fail('not in the approver\'s list');
  await mgr.goto(appUrl);
  await Promise.all([mgr.waitForNavigation(), mgr.click('#app-approve')]);
  if ((await mgr.textContent('#app-state')) !== '承認済み') fail('state after approval: ' + await mgr.textContent('#app-state'));

  await staff.goto(appUrl);
  const boxes = staff.locator('#app-obligations input[type=checkbox]');
  const n = await boxes.count();
  for (let i = 0; i < n; i++) await boxes.nth(i).check();
  if (n) await Promise.all([staff.waitForNavigation(), staff.click('#app-confirm')]);
  await Promise.all([staff.waitForNavigation(), staff.click('#app-start')]);
  if ((await staff.textContent('#app-state')) !== '持ち出し中') fail('state after taking out: ' + await staff.textContent('#app-state'));
  await Promise.all([staff.waitForNavigation(), staff.click('#app-return')]);
  if ((await staff.textContent('#app-state')) !== '返却済み') fail('state after return: ' + await staff.textContent('#app-state'));
  const approvals = await staff.textContent('#app-approvals');
  if (!approvals.includes('承認')) fail('approval record missing');
  await staff.screenshot({ path: shot, fullPage: true });
  if (cspErrors.length) fail('CSP violations: ' + cspErrors.join('\n'));
} catch (e) {
  fail(e.stack || String(e));
} finally {
  await browser.close();
}
