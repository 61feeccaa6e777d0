// flow-chat.js: the signed-in flows in a real browser, on a desktop and a
// 360 px phone viewport: register (invite link), turn on two-factor and
// sign in with a TOTP code computed here, create a channel, post Markdown,
// see it arrive live in a second browser context for another user, react,
// edit, search, open a thread, sign out. axe-core runs on every page the
// flows visit (admin pages included); screenshots go to ART.
'use strict';
const crypto = require('crypto');
const { api, watch } = require('./util');

const VIEWPORTS = [
  { name: 'desktop', viewport: { width: 1280, height: 800 } },
  { name: 'phone', viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true },
];
const PASSWORD = 'Browser-Flow-' + crypto.randomBytes(4).toString('hex');

function base32(s) {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of s.toUpperCase().replace(/[\s=]/g, '')) bits += abc.indexOf(c).toString(2).padStart(5, '0');
  const out = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) out.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(out);
}

// RFC 6238: six digits, SHA-1, 30 s steps; offset picks a neighbouring step.
function totp(secret, offset = 0) {
  const counter = Math.floor(Date.now() / 30000) + offset;
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = crypto.createHmac('sha1', base32(secret)).update(msg).digest();
  const o = mac[mac.length - 1] & 15;
  return String((mac.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}

async function adminToken(BASE) {
  const pw = process.env.PX_ADMIN_PASSWORD;
  if (!pw) throw new Error('PX_ADMIN_PASSWORD is not set');
  return (await api(BASE, 'POST', '/api/v1/auth/login', null, { username: 'admin', password: pw })).token;
}

async function go(page, url) {
  await page.goto(url);
  await page.waitForLoadState('domcontentloaded');
}

async function submit(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

async function noSideScroll(page, vp, label) {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  if (w > vp.viewport.width + 1) throw new Error(label + ': page is ' + w + ' px wide');
}

async function register(page, BASE, code, name, display) {
  await go(page, BASE + '/invite/' + code);
  await page.fill('#username', name);
  await page.fill('#display_name', display);
  await page.fill('#password', PASSWORD);
  await submit(page, 'form[action="/register"] button[type=submit]');
  if (!(await page.$('.sidebar'))) throw new Error('no main view after registering: ' + page.url());
}

// Turns two-factor on in the settings and returns the secret.
async function enrol(page, BASE, axe, shot, vp) {
  await go(page, BASE + '/settings/security');
  await submit(page, 'form[action="/settings/mfa/enrol"] button');
  const secret = (await page.textContent('#mfa-secret')).trim();
  await axe(page, 'mfa-enrol[' + vp.name + ']');
  await page.fill('#code', totp(secret));
  await submit(page, 'form[action="/settings/mfa/confirm"] button');
  const codes = await page.$$('#recovery-codes li');
  if (codes.length !== 10) throw new Error('want 10 recovery codes, got ' + codes.length);
  await axe(page, 'recovery-codes[' + vp.name + ']');
  await shot(page, 'security-' + vp.name + '.png');
  return secret;
}

async function signOut(page) {
  // on a phone the main navigation is behind its menu, as a user finds it
  const menu = page.locator('.topmenu > summary');
  if (await menu.isVisible()) await menu.click();
  await submit(page, 'form[action="/logout"] button:visible');
  if (!/\/login/.test(page.url())) throw new Error('not on the sign-in page after signing out: ' + page.url());
}

// Password, then the TOTP step; the enrolment used the current step, so a
// code of the next one is tried first and the step after that if needed.
async function signInTotp(page, BASE, name, secret, axe, vp) {
  await go(page, BASE + '/login');
  await page.fill('#username', name);
  await page.fill('#password', PASSWORD);
  await submit(page, 'form[action="/login"] button[type=submit]');
  await page.waitForSelector('#code');
  await axe(page, 'totp-step[' + vp.name + ']');
  for (const off of [1, 2]) {
    await page.fill('#code', totp(secret, off));
    await page.check('input[name=trust_device]');
    await submit(page, 'form[action="/login/mfa"] button');
    if (await page.$('.sidebar')) return;
    if (off === 2) break;
    await page.waitForTimeout(Math.max(0, 30000 - (Date.now() % 30000)) + 500);
  }
  throw new Error('TOTP sign-in failed: ' + (await page.textContent('main')).slice(0, 200));
}

async function flow(ctxA, ctxB, vp, env) {
  const { BASE, check, axe, shot } = env;
  const errors = [];
  const a = await ctxA.newPage();
  const b = await ctxB.newPage();
  watch(a, errors);
  watch(b, errors);
  const tag = crypto.randomBytes(3).toString('hex');
  const nameA = 'fa' + tag, nameB = 'fb' + tag, chan = 'flow-' + vp.name + '-' + tag;
  const tok = await adminToken(BASE);
  let secret = '';
  const L = (s) => s + '[' + vp.name + ']';

  await check(L('register with an invite link'), async () => {
    const c1 = (await api(BASE, 'POST', '/api/v1/admin/invites', tok, { role: 'member' })).code;
    const c2 = (await api(BASE, 'POST', '/api/v1/admin/invites', tok, { role: 'member' })).code;
    await register(a, BASE, c1, nameA, 'Ada ' + vp.name);
    await axe(a, L('home'));
    await shot(a, 'home-' + vp.name + '.png');
    await register(b, BASE, c2, nameB, 'Ben ' + vp.name);
  });
  await check(L('two-factor enrolment, sign out, sign in with TOTP'), async () => {
    secret = await enrol(a, BASE, axe, shot, vp);
    await signOut(a);
    await signInTotp(a, BASE, nameA, secret, axe, vp);
  });
  await check(L('create a channel and post Markdown'), async () => {
    await go(a, BASE + '/channels/new');
    await axe(a, L('new-channel'));
    await a.fill('#name', chan);
    await a.fill('#topic', 'Flows on ' + vp.name);
    await submit(a, 'form[action="/channels/new"] button');
    await a.evaluate(() => { window.pxStayed = 1; });
    await a.fill('#body', 'Hello **bold** and `code`');
    await a.press('#body', 'Enter');
    await a.waitForSelector('#messages li strong:text("bold")');
    // sent by the script: the page was not reloaded
    if (!(await a.evaluate(() => window.pxStayed === 1))) throw new Error('the composer reloaded the page');
    await noSideScroll(a, vp, 'channel');
  });
  await check(L('message arrives live for another user'), async () => {
    await go(b, BASE + '/c/' + chan);
    await submit(b, 'form.join button');
    await b.waitForSelector('#live:not(:empty)', { timeout: 10000 });
    await a.fill('#body', 'Live _hello_ ' + tag);
    await a.click('#composer button[value=send]');
    await b.waitForSelector('#messages li em:text("hello")', { timeout: 15000 });
    await axe(b, L('channel-live'));
  });
  await check(L('typing notice seen live'), async () => {
    await a.type('#body', 'typing…', { delay: 20 });
    await b.waitForSelector('#typing:has-text("Ada")', { timeout: 15000 });
    await a.fill('#body', '');
  });
  await check(L('Markdown preview'), async () => {
    await a.fill('#body', '# Preview heading');
    await a.click('#composer button[value=preview]');
    await a.waitForSelector('#composer .preview h1');
    await a.fill('#body', '');
  });
  await check(L('react, seen live'), async () => {
    const li = b.locator('#messages li', { hasText: 'Live' }).last();
    await li.hover().catch(() => {});
    await li.locator('details.acts > summary').click();
    await li.locator('form.react button').click();
    await a.waitForSelector('#messages li .reactions button[aria-pressed=false]:has-text("1")', { timeout: 15000 });
  });
  await check(L('edit, seen live'), async () => {
    const li = a.locator('#messages li', { hasText: 'Live' }).last();
    await li.hover().catch(() => {});
    await li.locator('details.acts > summary').click();
    // with the script, Edit opens the edit form in the message itself
    await li.locator('a.edit').click();
    const ta = li.locator('form.inline-edit textarea');
    await ta.waitFor();
    await axe(a, L('edit'));
    await ta.fill('Live _hello_ edited ' + tag);
    await ta.press('Enter');
    await b.waitForSelector('#messages li:has-text("edited ' + tag + '") .edited', { timeout: 15000 });
    await shot(a, 'channel-' + vp.name + '.png');
    await shot(b, 'channel-' + vp.name + '-second-user.png');
  });
  await check(L('search'), async () => {
    await go(a, BASE + '/search?q=' + tag);
    await a.waitForSelector('.results mark');
    await axe(a, L('search'));
    await noSideScroll(a, vp, 'search');
    await shot(a, 'search-' + vp.name + '.png');
  });
  await check(L('open a thread and reply'), async () => {
    await go(a, BASE + '/c/' + chan);
    const li = a.locator('#messages li', { hasText: 'edited' }).last();
    await li.hover().catch(() => {});
    await li.locator('details.acts > summary').click();
    await Promise.all([a.waitForNavigation(), li.locator('.menu a.reply').click()]);
    await a.fill('#body-thread', 'A reply in the thread');
    await a.click('#composer-thread button[value=send]');
    await a.waitForSelector('#replies li:has-text("A reply in the thread")');
    await axe(a, L('thread'));
    await noSideScroll(a, vp, 'thread');
    await shot(a, 'thread-' + vp.name + '.png');
  });
  await check(L('other pages pass axe'), async () => {
    for (const p of ['/', '/notifications', '/settings', '/settings/security']) {
      await go(b, BASE + p);
      await axe(b, L(p));
      await noSideScroll(b, vp, p);
    }
    await shot(b, 'settings-' + vp.name + '.png');
  });
  await check(L('sign out'), async () => {
    await signOut(a);
    await signOut(b);
    await go(a, BASE + '/c/' + chan);
    if (!/\/login\?next=/.test(a.url())) throw new Error('signed-out page did not ask to sign in: ' + a.url());
  });
  await check(L('no script errors'), async () => {
    if (errors.length) throw new Error(errors.join('\n'));
  });
}

async function adminPages(browser, env) {
  const { BASE, check, axe, shot } = env;
  for (const vp of VIEWPORTS) {
    const ctx = await browser.newContext({ viewport: vp.viewport, isMobile: !!vp.isMobile, hasTouch: !!vp.hasTouch });
    const page = await ctx.newPage();
    await check('admin pages[' + vp.name + ']', async () => {
      await go(page, BASE + '/login');
      await page.fill('#username', 'admin');
      await page.fill('#password', process.env.PX_ADMIN_PASSWORD || '');
      await submit(page, 'form[action="/login"] button[type=submit]');
      for (const p of ['system', 'users', 'invites', 'audit', 'waf', 'ip']) {
        await go(page, BASE + '/admin/' + p);
        await axe(page, 'admin-' + p + '[' + vp.name + ']');
        await noSideScroll(page, vp, 'admin/' + p);
        if (p === 'system' || p === 'users') await shot(page, 'admin-' + p + '-' + vp.name + '.png');
      }
    });
    await ctx.close();
  }
}

module.exports = async function (env) {
  const { browser } = env;
  for (const vp of VIEWPORTS) {
    const opts = { viewport: vp.viewport, isMobile: !!vp.isMobile, hasTouch: !!vp.hasTouch, locale: 'en-GB' };
    const ctxA = await browser.newContext(opts);
    const ctxB = await browser.newContext(opts);
    try {
      await flow(ctxA, ctxB, vp, env);
    } finally {
      await ctxA.close();
      await ctxB.close();
    }
  }
  await adminPages(browser, env);
};
