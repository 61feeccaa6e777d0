// flow-ui.js: the chat view of issue 16 in a real browser, on a desktop and
// a 360 px phone viewport, in English and German, with JavaScript on and
// off. With JavaScript it asserts what the no-JS fallback would hide: no
// navigation of the page (a marker on window survives and no main-frame
// navigation happens), no script error, and the focus back in the composer.
// Walks: the page from the first of 55 unread messages, the composer at the
// bottom of a page that does not scroll, send with Enter, preview, a new
// message announced in the live region, grouping, the actions menu, edit in
// place (Up in an empty composer), delete with confirmation and undo, pin
// and the pinned-messages panel, thread reply, Ctrl+K switcher, Alt+Down,
// Esc marks read, the shortcuts page, themes, registration errors. axe
// (WCAG 2.1 AA and target-size) runs in every new state.
'use strict';
const crypto = require('crypto');
const { api, watch, signIn, chanTools, inMatrix } = require('./util');

const VIEWPORTS = [
  { name: 'desktop', viewport: { width: 1280, height: 800 } },
  { name: 'phone', viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true },
];
const LANGS = [
  { code: 'en', locale: 'en-GB', accept: 'en-GB,en;q=0.9', words: { newMessages: 'New messages', deleted: 'Message deleted.', undo: 'Undo', keys: 'Keyboard shortcuts' } },
  { code: 'de', locale: 'de-DE', accept: 'de-DE,de;q=0.9', words: { newMessages: 'Neue Nachrichten', deleted: 'Nachricht gelöscht.', undo: 'Rückgängig', keys: 'Tastenkürzel' } },
];
const PASSWORD = 'Ui-Flow-' + crypto.randomBytes(4).toString('hex') + '!';

async function adminToken(BASE) {
  return (await api(BASE, 'POST', '/api/v1/auth/login', null,
    { username: 'admin', password: process.env.PX_ADMIN_PASSWORD || '' })).token;
}

async function user(BASE, tok, prefix, display) {
  const code = (await api(BASE, 'POST', '/api/v1/admin/invites', tok, { role: 'member' })).code;
  const name = prefix + crypto.randomBytes(3).toString('hex');
  const r = await api(BASE, 'POST', '/api/v1/auth/register', null,
    { invite: code, username: name, password: PASSWORD, display_name: display });
  return { name, token: r.token, id: r.user.id, display };
}

const post = (BASE, u, ch, body) => api(BASE, 'POST', '/api/v1/channels/' + ch + '/messages', u.token, { body });

// Counts main-frame navigations and marks window, so that a reload or a
// form post (the no-JS fallback) is seen.
async function stay(page) {
  await page.evaluate(() => { window.pxStayed = 1; });
  const before = page.pxNavs;
  return async (what) => {
    const still = await page.evaluate(() => window.pxStayed === 1);
    if (!still || page.pxNavs !== before) throw new Error(what + ': the page was reloaded or left');
  };
}

async function focusIs(page, sel, what) {
  const ok = await page.evaluate((s) => document.activeElement === document.querySelector(s), sel);
  if (!ok) {
    const got = await page.evaluate(() => document.activeElement.outerHTML.slice(0, 120));
    throw new Error(what + ': focus is not on ' + sel + ' but on ' + got);
  }
}

async function noPageScroll(page, vp, what) {
  const [h, w] = await page.evaluate(() => [document.documentElement.scrollHeight, document.documentElement.scrollWidth]);
  if (w > vp.viewport.width + 1) throw new Error(what + ': page is ' + w + ' px wide');
  if (h > vp.viewport.height + 1) throw new Error(what + ': the page scrolls (' + h + ' px high), not the list');
}

async function composerVisible(page, vp, sel, what) {
  const box = await page.locator(sel).boundingBox();
  if (!box || box.y < 0 || box.y + box.height > vp.viewport.height + 1) {
    throw new Error(what + ': composer ' + sel + ' is not in the window: ' + JSON.stringify(box));
  }
}

async function openMenu(page, li) {
  await page.evaluate(() => document.querySelectorAll('details[open]').forEach((d) => { d.open = false; }));
  await li.hover().catch(() => {});
  await li.locator('details.acts > summary').click();
  await li.locator('details.acts[open] .menu').waitFor();
  // opening scrolls the menu into view (a task later): let it settle
  await page.waitForTimeout(150);
}

async function withJs(env, vp, lang, ctx, people) {
  const { BASE, check, axe, shot } = env;
  const { a, b, chan, other, firstUnread } = people;
  const page = await ctx.newPage();
  const errors = [];
  watch(page, errors);
  page.pxNavs = 0;
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) page.pxNavs++; });
  const L = (s) => s + '[' + vp.name + ',' + lang.code + ',js]';
  const W = lang.words;

  await check(L('opening with 55 unread shows the first unread'), async () => {
    await signIn(page, BASE, a.name, PASSWORD);
    await page.goto(BASE + '/c/' + chan.name);
    const line = page.locator('#unread-line');
    await line.waitFor();
    if ((await line.textContent()).trim() !== W.newMessages) throw new Error('line says ' + await line.textContent());
    const first = await page.evaluate(() => document.querySelector('#unread-line').closest('li').dataset.id);
    if (Number(first) !== firstUnread) throw new Error('first unread is ' + firstUnread + ', the line is at ' + first);
    if (!(await page.$('#newer'))) throw new Error('no link to newer messages');
    await axe(page, L('unread-jump'));
    await shot(page, 'chat-unread-' + vp.name + '-' + lang.code + '.png');
  });

  await check(L('composer at the bottom, the list scrolls'), async () => {
    await page.goto(BASE + '/c/' + chan.name);
    await focusIs(page, '#body', 'on load');
    await noPageScroll(page, vp, 'channel');
    await composerVisible(page, vp, '#body', 'channel');
    const sc = await page.evaluate(() => { const s = document.getElementById('scroller'); return [s.scrollHeight, s.clientHeight]; });
    if (sc[0] <= sc[1]) throw new Error('the message list does not scroll: ' + sc);
    // the header (with the notification banner and the AI box the scripts
    // add) leaves the list a real part of the window
    if (sc[1] < 150) throw new Error('the message list is only ' + sc[1] + ' px high');
    // on a phone the top bar is one row: the links fold into a menu
    const bar = await page.evaluate(() => document.querySelector('.topbar').getBoundingClientRect().height);
    if (vp.name === 'phone' && bar > 56) throw new Error('the top bar takes ' + bar + ' px of the phone');
    const folded = await page.locator('.topmenu > summary').isVisible();
    if (folded !== (vp.name === 'phone')) throw new Error('main menu ' + (folded ? 'folded' : 'open') + ' on the ' + vp.name);
    const toolsShown = await page.locator('#chan-tools a.keys').isVisible();
    if (toolsShown !== (vp.name === 'desktop')) throw new Error('header tools ' + (toolsShown ? 'shown' : 'folded') + ' on the ' + vp.name);
    await axe(page, L('channel'));
  });

  await check(L('send with Enter: no reload, no error, focus kept'), async () => {
    const stayed = await stay(page);
    await page.fill('#body', 'Hello **bold** ' + lang.code);
    await page.press('#body', 'Enter');
    await page.waitForSelector('#messages li strong:text("bold")');
    await stayed('send');
    await focusIs(page, '#body', 'after Enter');
    if (await page.inputValue('#body')) throw new Error('composer not emptied');
    await page.fill('#body', 'second in a row');
    await page.press('#body', 'Enter');
    await page.waitForSelector('#messages li.grouped:has-text("second in a row")');
    await stayed('second send');
    await composerVisible(page, vp, '#body', 'after sending');
  });

  await check(L('preview without reload'), async () => {
    const stayed = await stay(page);
    // a long draft: its preview scrolls inside its box, so the message
    // list and the composer keep the window (a phone has little of it)
    const listBefore = await page.evaluate(() => document.getElementById('scroller').clientHeight);
    const long = ['# Preview heading'].concat(Array.from({ length: 30 }, (_, i) => '- point ' + i)).join('\n');
    await page.fill('#body', long);
    await page.click('#composer button[value=preview]');
    await page.waitForSelector('#composer .preview h1');
    await stayed('preview');
    await focusIs(page, '#body', 'after preview');
    await composerVisible(page, vp, '#body', 'with a preview');
    const pv = await page.evaluate(() => {
      const p = document.querySelector('#composer .preview'), s = document.getElementById('scroller');
      const c = document.getElementById('composer'), b = document.getElementById('body');
      return { list: s.clientHeight, box: p.clientHeight, content: p.scrollHeight, composer: c.offsetHeight, draft: b.offsetHeight };
    });
    // the box stays small (at most 8rem): the list loses no more than that
    if (pv.box > 128 || listBefore - pv.list > 136 || pv.list < 64) {
      throw new Error('a preview takes the message list from ' + listBefore + ' to ' + pv.list + ' px: ' + JSON.stringify(pv));
    }
    if (pv.content <= pv.box) throw new Error('the long preview does not scroll in its box: ' + JSON.stringify(pv));
    await page.fill('#body', '');
    await axe(page, L('preview'));
  });

  await check(L('a new message is announced politely'), async () => {
    const stayed = await stay(page);
    await page.waitForSelector('#live:not(:empty)', { timeout: 10000 });
    await post(BASE, b, chan.id, 'Live from Ben ' + lang.code);
    await page.waitForSelector('#messages li:has-text("Live from Ben")', { timeout: 15000 });
    const live = await page.evaluate(() => {
      const el = document.getElementById('announce');
      return [el.getAttribute('role'), el.textContent];
    });
    if (live[0] !== 'status' || !live[1].includes(b.display) || !live[1].includes('Live from Ben')) {
      throw new Error('live region: ' + JSON.stringify(live));
    }
    await stayed('live message');
  });

  await check(L('actions menu on hover, focus and touch'), async () => {
    const li = page.locator('#messages li', { hasText: 'Live from Ben' }).last();
    const summary = li.locator('details.acts > summary');
    if (!vp.hasTouch) {
      await page.mouse.move(0, 0);
      const hidden = await summary.evaluate((e) => getComputedStyle(e).opacity);
      if (hidden !== '0') throw new Error('menu button shown without hover: opacity ' + hidden);
    }
    await openMenu(page, li);
    const shown = await summary.evaluate((e) => getComputedStyle(e).opacity);
    if (shown !== '1') throw new Error('menu button not shown: opacity ' + shown);
    await axe(page, L('menu-open'));
    await shot(page, 'chat-menu-' + vp.name + '-' + lang.code + '.png');
    const stayed = await stay(page);
    await li.locator('.menu form.react button').click();
    await page.waitForSelector('#messages li:has-text("Live from Ben") .reactions button[aria-pressed=true]', { timeout: 15000 });
    await stayed('react');
  });

  await check(L('Up in an empty composer edits in place'), async () => {
    const stayed = await stay(page);
    await page.focus('#body');
    await page.keyboard.press('ArrowUp');
    const ta = page.locator('#messages li form.inline-edit textarea');
    await ta.waitFor();
    if (!(await ta.evaluate((e) => e === document.activeElement))) throw new Error('edit field not focused');
    if ((await ta.inputValue()) !== 'second in a row') throw new Error('edits ' + await ta.inputValue());
    await axe(page, L('edit-in-place'));
    await ta.fill('second, edited ' + lang.code);
    await ta.press('Enter');
    await page.waitForSelector('#messages li:has-text("second, edited") .edited', { timeout: 15000 });
    await stayed('edit');
    await focusIs(page, '#body', 'after editing');
    // Esc leaves an edit without saving
    await page.keyboard.press('ArrowUp');
    await ta.waitFor();
    await ta.press('Escape');
    if (await page.$('form.inline-edit')) throw new Error('Esc did not close the edit');
    await focusIs(page, '#body', 'after Esc in an edit');
  });

  await check(L('delete asks, then offers undo'), async () => {
    const stayed = await stay(page);
    await page.fill('#body', 'to be deleted ' + lang.code);
    await page.press('#body', 'Enter');
    const li = page.locator('#messages li', { hasText: 'to be deleted' }).last();
    await li.waitFor();
    const id = await li.getAttribute('data-id');
    await openMenu(page, li);
    await li.locator('details.confirm > summary').click();
    await axe(page, L('delete-confirm'));
    await li.locator('form.del button').click();
    await page.waitForSelector('.toast:has-text("' + W.deleted + '")');
    if (await li.isVisible()) throw new Error('message still shown after delete');
    await focusIs(page, '.toast button', 'the undo notice');
    // every delete sent for this message, and when: the undone one must
    // never go, the second only after its five seconds (both waits overlap)
    const action = new URL(await li.locator('form.del').getAttribute('action'), BASE).href;
    const sent = [];
    const onReq = (r) => { if (r.method() === 'POST' && r.url() === action) sent.push(Date.now()); };
    page.on('request', onReq);
    try {
      await page.click('.toast button:has-text("' + W.undo + '")');
      await li.waitFor({ state: 'visible' });
      await openMenu(page, li);
      await li.locator('details.confirm > summary').click();
      const t1 = Date.now();
      await li.locator('form.del button').click();
      await page.waitForSelector('.toast');
      await axe(page, L('undo-toast'));
      await page.waitForSelector('#m' + id + '.deleted', { state: 'attached', timeout: 15000 });
      await page.waitForTimeout(300);
      if (sent.length !== 1) throw new Error(sent.length + ' deletes sent (the undone one went too?)');
      if (sent[0] - t1 < 4500) throw new Error('the delete went ' + (sent[0] - t1) + ' ms after the click, before its undo time');
    } finally {
      page.off('request', onReq);
    }
    const m = await api(BASE, 'GET', '/api/v1/channels/' + chan.id + '/messages/' + id, a.token);
    if (!m.deleted) throw new Error('the delete did not take');
    await stayed('delete');
  });

  await check(L('pin, and the pinned-messages panel'), async () => {
    const li = page.locator('#messages li', { hasText: 'Live from Ben' }).last();
    await openMenu(page, li);
    await li.locator('.menu form.pin button').click();
    await page.waitForSelector('#messages li:has-text("Live from Ben") .pinned', { timeout: 15000 });
    await page.goto(BASE + '/c/' + chan.name);
    await chanTools(page);
    await page.click('details.pins > summary');
    await page.waitForSelector('details.pins[open] .pin-item:has-text("Live from Ben")');
    await axe(page, L('pins'));
    await shot(page, 'chat-pins-' + vp.name + '-' + lang.code + '.png');
    await page.keyboard.press('Escape');
  });

  await check(L('thread reply without reload'), async () => {
    const li = page.locator('#messages li', { hasText: 'Live from Ben' }).last();
    await openMenu(page, li);
    await Promise.all([page.waitForNavigation(), li.locator('.menu a.reply').click()]);
    // the link's #fragment scrolls at load and takes the focus; app.js
    // gives it back a frame after the load event, which is where
    // waitForNavigation returns: wait for that frame, not longer
    await page.waitForFunction(() => document.activeElement === document.getElementById('body-thread'),
      null, { timeout: 2000 }).catch(() => {});
    await focusIs(page, '#body-thread', 'thread on load');
    const stayed = await stay(page);
    await page.fill('#body-thread', 'A reply ' + lang.code);
    await page.press('#body-thread', 'Enter');
    await page.waitForSelector('#replies li:has-text("A reply")');
    await stayed('thread reply');
    await focusIs(page, '#body-thread', 'after a thread reply');
    await axe(page, L('thread'));
    await shot(page, 'chat-thread-' + vp.name + '-' + lang.code + '.png');
  });

  await check(L('keyboard: Ctrl+K, Alt+Down, Esc'), async () => {
    await page.goto(BASE + '/c/' + chan.name);
    await page.keyboard.press('Control+k');
    await page.waitForSelector('dialog#switcher[open]');
    await focusIs(page, '#switcher-q', 'switcher');
    await axe(page, L('switcher'));
    await page.keyboard.type(other.name.slice(0, 8));
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    if (!page.url().endsWith('/c/' + other.name)) throw new Error('switcher went to ' + page.url());
    await page.keyboard.press('Alt+ArrowDown');
    await page.waitForURL((u) => !u.toString().endsWith('/c/' + other.name));
    // Esc marks the channel read
    await post(BASE, b, other.id, 'unread for Esc');
    await page.goto(BASE + '/c/' + chan.name);
    const req = page.waitForRequest((r) => r.url().endsWith('/read-marker') && r.method() === 'PUT');
    await page.keyboard.press('Escape');
    await req;
  });

  await check(L('shortcuts page'), async () => {
    await page.goto(BASE + '/c/' + chan.name);
    await chanTools(page);
    await Promise.all([page.waitForNavigation(), page.click('a.keys')]);
    if ((await page.textContent('h1')).trim() !== W.keys) throw new Error('heading ' + await page.textContent('h1'));
    await axe(page, L('keys'));
  });

  await check(L('main navigation (a menu on a phone)'), async () => {
    await page.goto(BASE + '/c/' + chan.name);
    const nav = vp.name === 'phone' ? '.topmenu .topnav' : '.topnav.wide';
    if (vp.name === 'phone') {
      if (await page.locator(nav + ' a[href="/settings"]').isVisible()) throw new Error('menu open before it was asked');
      await page.click('.topmenu > summary');
      await page.locator(nav + ' a[href="/settings"]').waitFor();
      const box = await page.locator('.topmenu > .topnav').boundingBox();
      if (!box || box.x < 0 || box.x + box.width > vp.viewport.width + 1) throw new Error('menu outside the window: ' + JSON.stringify(box));
      await axe(page, L('main-menu'));
      await shot(page, 'main-menu-' + vp.name + '-' + lang.code + '.png');
    }
    await Promise.all([page.waitForNavigation(), page.click(nav + ' a[href="/settings"]')]);
    if (!page.url().endsWith('/settings')) throw new Error('menu link went to ' + page.url());
  });

  await check(L('themes chosen in settings, drawn by the server'), async () => {
    for (const theme of ['dark', 'contrast', '']) {
      await page.goto(BASE + '/settings');
      await page.selectOption('#theme', theme);
      await Promise.all([page.waitForNavigation(), page.click('form[action="/settings/theme"] button')]);
      // the server writes the attribute: no script needed, so no flash
      const res = await page.request.get(BASE + '/c/' + chan.name, { headers: { Accept: 'text/html' } });
      const html = await res.text();
      const want = theme ? 'data-theme="' + theme + '"' : null;
      if (want && !html.includes(want)) throw new Error('page not drawn in ' + theme);
      if (!want && /data-theme=/.test(html)) throw new Error('system theme still sets data-theme');
      await page.goto(BASE + '/c/' + chan.name);
      await axe(page, L('theme-' + (theme || 'system')));
      if (theme) await shot(page, 'chat-' + theme + '-' + vp.name + '-' + lang.code + '.png');
    }
  });

  await check(L('no script errors'), async () => {
    if (errors.length) throw new Error(errors.join('\n'));
  });
  await page.close();
}

// axe needs a script in the page, which a context without JavaScript does
// not run: the page as it stands (details open or not) is copied, without
// its scripts, into a page of a context with JavaScript and audited there.
async function axeCopy(env, helper, page, label) {
  const html = (await page.content()).replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, '');
  await helper.goto(env.BASE + '/static/robots.txt');
  await helper.setContent(html, { waitUntil: 'load' });
  await env.axe(helper, label);
}

async function withoutJs(env, vp, lang, ctx, people, browser) {
  const { BASE, check, shot } = env;
  const { a, chan } = people;
  const page = await ctx.newPage();
  const helperCtx = await browser.newContext({ viewport: vp.viewport, isMobile: !!vp.isMobile, hasTouch: !!vp.hasTouch });
  const helper = await helperCtx.newPage();
  const axe = (p, label) => axeCopy(env, helper, p, label);
  const L = (s) => s + '[' + vp.name + ',' + lang.code + ',nojs]';
  await check(L('channel, menu, delete and edit work without JavaScript'), async () => {
    await signIn(page, BASE, a.name, PASSWORD);
    await page.goto(BASE + '/c/' + chan.name);
    await noPageScroll(page, vp, 'channel');
    await composerVisible(page, vp, '#body', 'channel');
    await page.fill('#body', 'plain post ' + lang.code);
    await Promise.all([page.waitForNavigation(), page.click('#composer button[value=send]')]);
    const li = page.locator('#messages li', { hasText: 'plain post' }).last();
    await li.waitFor();
    await li.locator('details.acts > summary').click();
    await axe(page, L('menu'));
    await Promise.all([page.waitForNavigation(), li.locator('.menu a.edit').click()]);
    await page.fill('#body', 'plain post edited ' + lang.code);
    await Promise.all([page.waitForNavigation(), page.click('form.composer button[type=submit]')]);
    const li2 = page.locator('#messages li', { hasText: 'plain post edited' }).last();
    await li2.locator('details.acts > summary').click();
    await li2.locator('details.confirm > summary').click();
    await Promise.all([page.waitForNavigation(), li2.locator('form.del button').click()]);
    if (await page.$('#messages li:has-text("plain post edited")')) throw new Error('not deleted');
    await chanTools(page);
    await page.click('details.pins > summary');
    await axe(page, L('channel'));
    await shot(page, 'chat-nojs-' + vp.name + '-' + lang.code + '.png');
  });
  await page.close();
  await helperCtx.close();
}

// Registration: the error names its field and marks it aria-invalid; the
// pattern shown before submitting accepts what the server accepts.
async function registration(env, vp, lang, browser) {
  const { BASE, check } = env;
  const ctx = await browser.newContext({ viewport: vp.viewport, isMobile: !!vp.isMobile, hasTouch: !!vp.hasTouch,
    locale: lang.locale, extraHTTPHeaders: { 'Accept-Language': lang.accept }, javaScriptEnabled: false });
  const page = await ctx.newPage();
  const L = (s) => s + '[' + vp.name + ',' + lang.code + ']';
  await check(L('registration error names its field'), async () => {
    const tok = await adminToken(BASE);
    const code = (await api(BASE, 'POST', '/api/v1/admin/invites', tok, { role: 'member' })).code;
    await page.goto(BASE + '/invite/' + code);
    await page.fill('#username', 'admin');
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('form[action="/register"] button[type=submit]')]);
    const err = (await page.textContent('#reg-error')).trim();
    const label = (await page.textContent('label[for=username]')).trim();
    if (!err.startsWith(label + ':')) throw new Error('error does not name the field: ' + err);
    if ((await page.getAttribute('#username', 'aria-invalid')) !== 'true') throw new Error('no aria-invalid');
    if (!(await page.getAttribute('#username', 'aria-describedby')).includes('reg-error')) throw new Error('error not linked');
    if (await page.getAttribute('#password', 'aria-invalid')) throw new Error('password marked invalid');
    const helperCtx = await browser.newContext({ viewport: vp.viewport });
    await axeCopy(env, await helperCtx.newPage(), page, L('register-error'));
    await helperCtx.close();
  });
  await ctx.close();
  const jsCtx = await browser.newContext({ locale: lang.locale });
  const p2 = await jsCtx.newPage();
  await check(L('username rules before submit match the server'), async () => {
    await p2.goto(BASE + '/register');
    // what the server's px_ident_username accepts (auth/ident.c)
    const cases = [['ab', false], ['abc', true], ['a.b-c_d', true], ['.ab', false], ['ab.', false],
      ['Jürgen', true], ['a b', false], ['x'.repeat(32), true], ['x'.repeat(33), false], ['名前です', true]];
    for (const [name, ok] of cases) {
      const valid = await p2.evaluate((n) => {
        const i = document.getElementById('username');
        i.value = n;
        return i.checkValidity();
      }, name);
      if (valid !== ok) throw new Error('form says ' + name + ' is ' + (valid ? 'valid' : 'invalid'));
    }
    const help = await p2.textContent('#username-help');
    if (!/32/.test(help)) throw new Error('rules not shown: ' + help);
  });
  await jsCtx.close();
}

module.exports = async function (env) {
  const { BASE, browser } = env;
  const tok = await adminToken(BASE);
  // PX_UI_ONLY=phone,de narrows the run while developing
  const only = (process.env.PX_UI_ONLY || '').split(',').filter(Boolean);
  for (const vp of VIEWPORTS) {
    for (const lang of LANGS) {
      if (only.length ? !only.every((w) => w === vp.name || w === lang.code) : !inMatrix(vp.name, lang.code)) continue;
      const a = await user(BASE, tok, 'ua', 'Ada ' + lang.code);
      const b = await user(BASE, tok, 'ub', 'Ben ' + lang.code);
      const chan = await api(BASE, 'POST', '/api/v1/channels', a.token, { kind: 'public', name: 'ui-' + crypto.randomBytes(3).toString('hex') });
      const other = await api(BASE, 'POST', '/api/v1/channels', a.token, { kind: 'public', name: 'uo-' + crypto.randomBytes(3).toString('hex') });
      for (const c of [chan, other]) await api(BASE, 'POST', '/api/v1/channels/' + c.id + '/members', b.token, { user_id: b.id });
      const m0 = await post(BASE, a, chan.id, 'Welcome');
      await api(BASE, 'PUT', '/api/v1/channels/' + chan.id + '/read-marker', a.token, { message_id: m0.id });
      let firstUnread = 0;
      for (let i = 1; i <= 55; i++) {
        const m = await post(BASE, b, chan.id, 'Unread ' + i);
        if (i === 1) firstUnread = m.id;
      }
      const people = { a, b, chan, other, firstUnread };
      const opts = { viewport: vp.viewport, isMobile: !!vp.isMobile, hasTouch: !!vp.hasTouch, locale: lang.locale,
        extraHTTPHeaders: { 'Accept-Language': lang.accept } };
      const ctx = await browser.newContext(opts);
      const parts = (process.env.PX_UI_PARTS || 'js,nojs,reg').split(',');
      try { if (parts.includes('js')) await withJs(env, vp, lang, ctx, people); } finally { await ctx.close(); }
      const noJs = await browser.newContext(Object.assign({ javaScriptEnabled: false }, opts));
      try { if (parts.includes('nojs')) await withoutJs(env, vp, lang, noJs, people, browser); } finally { await noJs.close(); }
      if (parts.includes('reg')) await registration(env, vp, lang, browser);
    }
  }
};
