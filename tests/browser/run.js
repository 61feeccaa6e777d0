// run.js: drives Debian's Chromium through playwright-core against a running
// PlexiChat (PX_BASE_URL): visits every page on a desktop and a phone
// viewport, runs axe-core (WCAG 2.1 A/AA rules and WCAG 2.2's target-size,
// 2.5.8: targets of at least 24 by 24 px) on each, checks that the
// pages need no JavaScript, and saves screenshots to PX_ARTIFACTS.
// Exits 1 on any failure; prints "N passed, N failed".
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const BASE = process.env.PX_BASE_URL || 'http://127.0.0.1:8080';
const ART = process.env.PX_ARTIFACTS || path.join(process.cwd(), 'artifacts');
// axe is evaluated through the DevTools protocol, which CSP does not block,
// so the pages keep their real policy during the audit.
const AXE_SRC = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const VIEWPORTS = [
  { name: 'desktop', viewport: { width: 1280, height: 800 } },
  { name: 'phone', viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true },
];
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let passed = 0, failed = 0;
function ok(name) { passed++; console.log('ok   ' + name); }
function bad(name, why) { failed++; console.log('FAIL ' + name + ': ' + why); }

// each check says what it cost: the suite is the test command's longest step
async function check(name, fn) {
  const t0 = Date.now();
  const took = () => ' (' + ((Date.now() - t0) / 1000).toFixed(1) + ' s)';
  try { await fn(); ok(name + took()); } catch (e) { bad(name + took(), e && e.stack ? e.stack : String(e)); }
}

async function axe(page, label) {
  await page.evaluate(AXE_SRC);
  const r = await page.evaluate(() => axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
    rules: { 'target-size': { enabled: true } },
    resultTypes: ['violations'],
  }));
  if (r.violations.length) {
    const lines = r.violations.map((v) => v.id + ' (' + v.impact + '): ' +
      v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', '));
    throw new Error(label + ': axe violations:\n  ' + lines.join('\n  '));
  }
}

async function shot(page, file) {
  fs.mkdirSync(ART, { recursive: true });
  await page.screenshot({ path: path.join(ART, file), fullPage: true });
}

// Pages anyone can see, with what each must show.
const PUBLIC_PAGES = [
  { name: 'login', path: '/login', expect: 'form[action="/login"]' },
  { name: 'login-expired', path: '/login?expired=1&next=%2F', expect: '.notice' },
  { name: 'register', path: '/register', expect: 'form[action="/register"]' },
  { name: 'invite', path: '/invite/welcome-code', expect: 'input[name=invite]' },
  { name: 'not-found', path: '/no/such/page', expect: '.error' },
];

async function publicPages(browser, vp, dark) {
  const ctx = await browser.newContext({ viewport: vp.viewport, isMobile: !!vp.isMobile,
    hasTouch: !!vp.hasTouch, colorScheme: dark ? 'dark' : 'light', locale: 'en-GB' });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // Failed sub-resources count; a page answered 404 on purpose does not.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) errors.push(m.text());
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && r.request().resourceType() !== 'document') errors.push(r.status() + ' ' + r.url());
  });
  for (const p of PUBLIC_PAGES) {
    const label = p.name + '[' + vp.name + (dark ? ',dark' : '') + ']';
    await check('page ' + label, async () => {
      await page.goto(BASE + p.path);
      await page.waitForSelector(p.expect, { state: 'attached' });
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      if (width > vp.viewport.width + 1) throw new Error('page is ' + width + ' px wide (horizontal scroll)');
      await axe(page, label);
      await shot(page, p.name + '-' + vp.name + (dark ? '-dark' : '') + '.png');
    });
  }
  await check('keyboard focus visible[' + vp.name + ']', async () => {
    await page.goto(BASE + '/login');
    await page.keyboard.press('Tab');
    const skip = await page.evaluate(() => document.activeElement.className);
    if (skip !== 'skip') throw new Error('first Tab should reach the skip link, got ' + skip);
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    if (outline === 'none') throw new Error('focused element has no outline');
  });
  await check('no console errors[' + vp.name + ']', async () => {
    const real = errors.filter((e) => !/service ?worker/i.test(e));
    if (real.length) throw new Error(real.join('\n'));
  });
  await ctx.close();
}

async function noJavaScript(browser) {
  const ctx = await browser.newContext({ javaScriptEnabled: false });
  const page = await ctx.newPage();
  await check('login page without JavaScript', async () => {
    await page.goto(BASE + '/login?next=%2Fx');
    await page.fill('#username', 'nobody-' + Date.now());
    await page.fill('#password', 'wrong password');
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    const text = await page.textContent('body');
    if (!/incorrect|sign in/i.test(text)) throw new Error('no answer to a failed sign-in: ' + text.slice(0, 200));
  });
  await ctx.close();
}

async function germanPages(browser) {
  const ctx = await browser.newContext({ locale: 'de-DE', extraHTTPHeaders: { 'Accept-Language': 'de-DE,de;q=0.9' } });
  const page = await ctx.newPage();
  await check('German login page', async () => {
    await page.goto(BASE + '/login');
    const h = await page.textContent('h1');
    if (h.trim() !== 'Anmelden') throw new Error('heading ' + h);
    await axe(page, 'login[de]');
    await shot(page, 'login-desktop-de.png');
  });
  await ctx.close();
}

(async () => {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true, args: ARGS });
  try {
    // PX_BROWSER_FLOWS=1 runs only the flow-*.js files (while developing them)
    for (const vp of process.env.PX_BROWSER_FLOWS === '1' ? [] : VIEWPORTS) {
      await publicPages(browser, vp, false);
      await publicPages(browser, vp, true);
    }
    if (process.env.PX_BROWSER_FLOWS !== '1') await germanPages(browser);
    if (process.env.PX_BROWSER_AUTH === '1') await noJavaScript(browser);
    // PX_BROWSER_ONLY=flow-ui runs only the flow files whose names contain it
    const only = process.env.PX_BROWSER_ONLY || '';
    for (const f of fs.readdirSync(__dirname).filter((f) => /^flow-.*\.js$/.test(f) && f.includes(only)).sort())
      await require(path.join(__dirname, f))({ browser, BASE, ART, check, axe, shot });
  } finally {
    await browser.close();
  }
  console.log(passed + ' passed, ' + failed + ' failed');
  process.exit(failed ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(1); });
