// flow-rich.js: rich text, the emoji picker, finding people and channels,
// and notification settings, in a real browser on a desktop and a 360 px
// phone, in English and German, with JavaScript on (no full reload, no
// console error, focus where it belongs) and off; axe finds nothing in
// every state (WCAG 2.1 A/AA, best practice and the 2.2 target-size rule).
'use strict';
const crypto = require('crypto');
const { api, watch, signIn, chanTools, inMatrix } = require('./util');

const SETUPS = [
  { name: 'desktop-en', viewport: { width: 1280, height: 800 }, lang: 'en' },
  { name: 'phone-de', viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, lang: 'de' },
  { name: 'phone-en', viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, lang: 'en' },
  { name: 'desktop-de', viewport: { width: 1280, height: 800 }, lang: 'de' },
];

async function context(browser, s, js) {
  const hdr = s.lang === 'de' ? 'de-DE,de;q=0.9' : 'en-GB,en;q=0.9';
  return browser.newContext({ viewport: s.viewport, isMobile: !!s.isMobile, hasTouch: !!s.hasTouch,
    locale: s.lang === 'de' ? 'de-DE' : 'en-GB', extraHTTPHeaders: { 'Accept-Language': hdr },
    javaScriptEnabled: js });
}

// The page must not have been reloaded since mark() (a full load drops the
// window property) and must have logged no error.
async function mark(page) { await page.evaluate(() => { window.__pxStay = 1; }); }
async function stayed(page, errors, label) {
  if (!(await page.evaluate(() => window.__pxStay === 1))) throw new Error(label + ': the page reloaded');
  if (errors.length) throw new Error(label + ': console errors: ' + errors.join('\n'));
}

async function axe2(page, axe, label) {
  await axe(page, label);
  // WCAG 2.2 2.5.8: targets at least 24x24 px (axe's target-size rule)
  const AXE = require('fs').readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(AXE);
  const r = await page.evaluate(() => axe.run(document, { runOnly: ['target-size'], resultTypes: ['violations'] }));
  if (r.violations.length) {
    throw new Error(label + ': target-size: ' + r.violations.map((v) =>
      v.nodes.slice(0, 5).map((n) => n.target.join(' ')).join(', ')).join('; '));
  }
}

// axe needs script in the page, which a context without JavaScript cannot
// run: the same page is audited in a context that refuses every script
// file instead (what a browser without JavaScript shows).
async function axeNoJs(browser, s, cookies, url, axe, label) {
  const ctx = await context(browser, s, true);
  await ctx.addCookies(cookies);
  await ctx.route(/\.js(\?|$)/, (r) => r.abort());
  const page = await ctx.newPage();
  await page.goto(url);
  if (await page.evaluate(() => !!window.pxEmoji)) throw new Error(label + ': a script ran');
  await axe2(page, axe, label);
  await ctx.close();
}

async function noSideScroll(page, s, label) {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  if (w > s.viewport.width + 1) throw new Error(label + ': page is ' + w + ' px wide');
}

module.exports = async function ({ browser, BASE, check, axe, shot }) {
  const tag = crypto.randomBytes(3).toString('hex');
  const pw = 'Rich-' + tag + '-pass';
  const admin = (await api(BASE, 'POST', '/api/v1/auth/login', null,
    { username: 'admin', password: process.env.PX_ADMIN_PASSWORD || '' })).token;
  const users = {};
  for (const who of ['ana', 'ben']) {
    const code = (await api(BASE, 'POST', '/api/v1/admin/invites', admin, { role: 'member' })).code;
    const r = await api(BASE, 'POST', '/api/v1/auth/register', null,
      { username: who + tag, password: pw, invite: code });
    users[who] = { name: who + tag, token: r.token, id: r.user.id };
  }
  const ch = 'rich-' + tag;
  const cid = (await api(BASE, 'POST', '/api/v1/channels', users.ana.token, { kind: 'public', name: ch })).id;
  await api(BASE, 'PUT', '/api/v1/channels/' + cid + '/members/' + users.ben.id, users.ana.token, {});
  await api(BASE, 'PUT', '/api/v1/users/me/status', users.ana.token,
    { status_text: 'Planning the release 🚀', time_zone: 'Europe/Berlin' });
  const ch2 = 'rich2-' + tag;
  const cid2 = (await api(BASE, 'POST', '/api/v1/channels', users.ana.token, { kind: 'public', name: ch2 })).id;
  await api(BASE, 'PUT', '/api/v1/channels/' + cid2 + '/members/' + users.ben.id, users.ana.token, {});
  await api(BASE, 'PUT', '/api/v1/channels/' + cid + '/topic', users.ana.token, { topic: 'Rich **text** lab' });
  await api(BASE, 'POST', '/api/v1/channels/' + cid + '/messages', users.ana.token,
    { body: 'Hi @' + users.ben.name + ', ~~old~~ see https://example.org and #' + ch +
      '\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\n- [x] done\n- [ ] todo :rocket:' });

  for (const s of SETUPS.filter((x) => inMatrix(x.name.split('-')[0], x.lang))) {
    const ctx = await context(browser, s, true);
    const spy = s.name === 'desktop-en';
    if (spy) {
      // a desktop notification is recorded instead of shown (headless)
      await ctx.addInitScript(() => {
        window.__notes = [];
        class Spy {
          constructor(title, opts) { this.title = title; this.opts = opts; window.__notes.push(this); }
          close() {}
          static get permission() { return 'granted'; }
          static requestPermission() { return Promise.resolve('granted'); }
        }
        window.Notification = Spy;
      });
    }
    const page = await ctx.newPage();
    const errors = [];
    watch(page, errors);
    const label = s.name;
    await signIn(page, BASE, users.ben.name, pw);
    await page.goto(BASE + '/c/' + ch);

    await check('rich text rendered[' + label + ']', async () => {
      await page.waitForSelector('.body a.mention.mention-self');
      await page.waitForSelector('.body del');
      await page.waitForSelector('.body table td');
      await page.waitForSelector('.body a.channel-ref');
      await page.waitForSelector('.body a[href="https://example.org"]');
      const t = await page.textContent('#messages');
      if (!t.includes('🚀')) throw new Error(':rocket: was not converted');
      await noSideScroll(page, s, label);
      await axe2(page, axe, 'rich text[' + label + ']');
    });

    await check('emoji picker in the composer, keyboard only[' + label + ']', async () => {
      await mark(page);
      await page.fill('#body', 'Great ');
      await page.focus('#body');
      await page.click('form[data-composer] .ep-compose');
      await page.waitForSelector('#emoji-picker:not([hidden]) [role=option]');
      if ((await page.evaluate(() => document.activeElement.id)) !== 'ep-q') throw new Error('search field not focused');
      await axe2(page, axe, 'picker open[' + label + ']');
      await shot(page, 'emoji-picker-' + label + '.png');
      await page.keyboard.type(s.lang === 'de' ? 'daumen hoch' : 'thumbs up');
      await page.waitForSelector('#emoji-picker [role=option][data-e="👍"]');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#emoji-picker', { state: 'hidden' });
      const v = await page.inputValue('#body');
      if (v !== 'Great 👍') throw new Error('composer holds ' + JSON.stringify(v));
      if ((await page.evaluate(() => document.activeElement.id)) !== 'body') throw new Error('focus did not return to the composer');
      await stayed(page, errors, label);
    });

    await check('emoji picker: arrows, skin tone, recent first, Escape[' + label + ']', async () => {
      await page.click('form[data-composer] .ep-compose');
      await page.waitForSelector('#emoji-picker:not([hidden]) [role=option]');
      // recently used first
      const first = await page.getAttribute('#emoji-picker [role=option]', 'data-e');
      if (first !== '👍') throw new Error('recent emoji not first: ' + first);
      await page.click('#emoji-picker .ep-tones button[data-tone="3"]');
      await page.focus('#ep-q');
      await page.keyboard.type('thumbs');
      await page.waitForSelector('#emoji-picker [role=option][data-e="👍🏽"]');
      const before = await page.getAttribute('#ep-q', 'aria-activedescendant');
      await page.keyboard.press('ArrowRight');
      const after = await page.getAttribute('#ep-q', 'aria-activedescendant');
      if (before === after) throw new Error('ArrowRight did not move');
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('Enter');
      const v = await page.inputValue('#body');
      if (!v.endsWith('👍🏽')) throw new Error('tone not applied: ' + JSON.stringify(v));
      await page.click('form[data-composer] .ep-compose');
      await page.waitForSelector('#emoji-picker:not([hidden])');
      await page.keyboard.press('Escape');
      await page.waitForSelector('#emoji-picker', { state: 'hidden' });
      if (!(await page.evaluate(() => document.activeElement.classList.contains('ep-compose')))) throw new Error('Escape: focus not back on the button');
      await page.evaluate(() => localStorage.removeItem('px.emoji.tone'));
      await page.fill('#body', '');
      await stayed(page, errors, label);
    });

    await check('emoji picker finds the aliases of other chat tools[' + label + ']', async () => {
      // ":+1:" and ":thumbsdown:" as Slack and GitHub users type them
      await page.click('form[data-composer] .ep-compose');
      await page.waitForSelector('#emoji-picker:not([hidden]) [role=option]');
      for (const [q, e] of [[':+1', '👍'], ['thumbsdown', '👎'], ['tada', '🎉']]) {
        await page.fill('#ep-q', q);
        await page.waitForSelector('#emoji-picker [role=option][data-e="' + e + '"]');
        const first = await page.getAttribute('#emoji-picker [role=option]', 'data-e');
        if (first !== e) throw new Error(q + ' finds ' + first + ' first');
      }
      await page.keyboard.press('Enter');
      await page.waitForSelector('#emoji-picker', { state: 'hidden' });
      if (!(await page.inputValue('#body')).endsWith('🎉')) throw new Error('not inserted: ' + await page.inputValue('#body'));
      await page.fill('#body', '');
      await stayed(page, errors, label);
    });

    await check('emoji picker for a reaction[' + label + ']', async () => {
      const msg = '#messages > li.msg:first-of-type';
      // the reaction controls live in the message's actions menu
      await page.hover(msg).catch(() => {});
      await page.click(msg + ' details.acts > summary');
      await page.click(msg + ' .ep-react');
      await page.waitForSelector('#emoji-picker:not([hidden]) [role=option]');
      await page.keyboard.type('fire');
      await page.waitForSelector('#emoji-picker [role=option][data-e="🔥"]');
      await page.keyboard.press('Enter');
      await page.waitForFunction((sel) => {
        const b = [...document.querySelectorAll(sel + ' .reactions button')];
        return b.some((x) => x.textContent.includes('🔥') && x.getAttribute('aria-pressed') === 'true');
      }, msg, { timeout: 15000 });
      await stayed(page, errors, label);
    });
    await check('@ autocomplete in the composer[' + label + ']', async () => {
      await page.goto(BASE + '/c/' + ch);
      await mark(page);
      await page.fill('#body', '');
      await page.focus('#body');
      await page.keyboard.type('Hi @' + users.ana.name.slice(0, 5));
      const opt = '.mention-list:not([hidden]) [role=option][data-username="' + users.ana.name + '"]';
      await page.waitForSelector(opt);
      await axe2(page, axe, 'autocomplete[' + label + ']');
      const act = await page.getAttribute('#body', 'aria-activedescendant');
      if (!act) throw new Error('no active option');
      while ((await page.getAttribute('#body', 'aria-activedescendant')) !==
             (await page.getAttribute(opt, 'id'))) await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
      const v = await page.inputValue('#body');
      if (v !== 'Hi @' + users.ana.name + ' ') throw new Error('composer holds ' + JSON.stringify(v));
      if ((await page.evaluate(() => document.activeElement.id)) !== 'body') throw new Error('focus left the composer');
      await page.keyboard.press('Escape');
      await page.fill('#body', '');
      await stayed(page, errors, label);
    });

    await check('unread count in the tab title[' + label + ']', async () => {
      const count = () => page.evaluate(() => { const m = /^\((\d+)\) /.exec(document.title); return m ? Number(m[1]) : 0; });
      const before = await count();
      await api(BASE, 'POST', '/api/v1/channels/' + cid2 + '/messages', users.ana.token, { body: 'elsewhere ' + label });
      await page.waitForFunction((n) => { const m = /^\((\d+)\) /.exec(document.title); return m && Number(m[1]) > n; },
        before, { timeout: 15000 });
      await stayed(page, errors, label);
    });

    if (spy) {
      await check('desktop notification names the channel and opens the message[' + label + ']', async () => {
        const m = await api(BASE, 'POST', '/api/v1/channels/' + cid2 + '/messages', users.ana.token,
          { body: 'look here @' + users.ben.name });
        await page.waitForFunction(() => window.__notes.length > 0, null, { timeout: 15000 });
        const n = await page.evaluate(() => ({ title: window.__notes[0].title, body: window.__notes[0].opts.body }));
        if (!n.title.includes(users.ana.name) || !n.title.includes('#' + ch2)) throw new Error('title ' + n.title);
        if (!n.body.includes('look here')) throw new Error('body ' + n.body);
        await stayed(page, errors, label);
        await Promise.all([page.waitForNavigation(), page.evaluate(() => window.__notes[0].onclick())]);
        if (!page.url().endsWith('/c/' + ch2 + '#m' + m.id)) throw new Error('opened ' + page.url());
      });
      await check('desktop notifications switched off and on in the settings[' + label + ']', async () => {
        const setDesktop = async (on) => {
          await page.goto(BASE + '/settings');
          await page.setChecked('form[action="/settings/notifications"] input[name=desktop]', on);
          await Promise.all([page.waitForNavigation(),
            page.click('form[action="/settings/notifications"] button[type=submit]')]);
          const got = (await api(BASE, 'GET', '/api/v1/notifications/settings', users.ben.token)).desktop;
          if (got !== on) throw new Error('stored ' + got);
        };
        const mention = (text) => api(BASE, 'POST', '/api/v1/channels/' + cid2 + '/messages', users.ana.token,
          { body: text + ' @' + users.ben.name });
        const titled = () => page.evaluate(() => { const m = /^\((\d+)\) /.exec(document.title); return m ? Number(m[1]) : 0; });
        await setDesktop(false);
        await page.goto(BASE + '/c/' + ch);
        const before = await titled();
        await mention('quiet please');
        // the event arrived (the tab title counts it), yet nothing was shown
        await page.waitForFunction((n) => { const m = /^\((\d+)\) /.exec(document.title); return m && Number(m[1]) > n; },
          before, { timeout: 15000 });
        await page.waitForTimeout(1500);
        if (await page.evaluate(() => window.__notes.length)) throw new Error('shown although switched off');
        // nor does a browser that was never asked show the banner
        const ctx2 = await context(browser, s, true);
        const p2 = await ctx2.newPage();
        await signIn(p2, BASE, users.ben.name, pw);
        const read = p2.waitForResponse((r) => r.url().endsWith('/api/v1/notifications/settings'));
        await p2.goto(BASE + '/c/' + ch);
        await read;
        await p2.waitForTimeout(500);
        const perm = await p2.evaluate(() => Notification.permission);
        if (perm !== 'default') throw new Error('permission ' + perm);
        if (await p2.$('.notify-banner')) throw new Error('banner shown although switched off');
        await ctx2.close();
        await setDesktop(true);
        await page.goto(BASE + '/c/' + ch);
        await mention('loud again');
        await page.waitForFunction(() => window.__notes.length > 0, null, { timeout: 15000 });
        if (errors.length) throw new Error(errors.join('\n'));
      });
    } else {
      await check('notification banner asks only on a button[' + label + ']', async () => {
        await page.goto(BASE + '/c/' + ch);
        const perm = await page.evaluate(() => ('Notification' in window) ? Notification.permission : 'none');
        if (perm !== 'default') throw new Error('permission is ' + perm + ' before anyone asked');
        await page.waitForSelector('.notify-banner .notify-on');
        const text = await page.textContent('.notify-banner p');
        if (s.lang === 'de' && !text.includes('Desktop-Benachrichtigungen')) throw new Error('banner in English: ' + text);
        await axe2(page, axe, 'banner[' + label + ']');
        await page.click('.notify-banner .notify-later');
        await page.waitForSelector('.notify-banner', { state: 'detached' });
        await page.reload();
        await page.waitForSelector('#body');
        if (await page.$('.notify-banner')) throw new Error('banner back after "not now"');
      });
    }

    await check('profile opened by clicking a name[' + label + ']', async () => {
      await page.goto(BASE + '/c/' + ch);
      await Promise.all([page.waitForNavigation(), page.click('#messages .msg .meta a.name')]);
      if (!page.url().endsWith('/u/' + users.ana.name)) throw new Error('went to ' + page.url());
      await page.waitForSelector('.profile h1');
      const t = await page.textContent('main');
      if (!t.includes('Planning the release') || !t.includes('Europe/Berlin') || !/\d\d:\d\d/.test(t)) throw new Error('profile: ' + t);
      await noSideScroll(page, s, label);
      await axe2(page, axe, 'profile[' + label + ']');
      await shot(page, 'profile-' + label + '.png');
    });

    await check('channel browser, people, own profile[' + label + ']', async () => {
      await page.goto(BASE + '/channels');
      const row = await page.textContent('.chanlist');
      if (!row.includes('Rich text lab') || row.includes('**')) throw new Error('topic not plain: ' + row);
      await noSideScroll(page, s, label);
      await axe2(page, axe, 'channels[' + label + ']');
      await shot(page, 'channels-' + label + '.png');
      await page.goto(BASE + '/people?q=' + users.ana.name);
      await page.waitForSelector('.person a[href="/u/' + users.ana.name + '"]');
      await noSideScroll(page, s, label);
      await axe2(page, axe, 'people[' + label + ']');
      await page.goto(BASE + '/u/' + users.ben.name);
      await page.waitForSelector('form[action="/settings/status"]');
      await noSideScroll(page, s, label);
      await axe2(page, axe, 'own profile[' + label + ']');
      await page.goto(BASE + '/c/' + ch);
      await chanTools(page);
      await page.waitForSelector('.notifyform select');
      await axe2(page, axe, 'channel with level chooser[' + label + ']');
      if (errors.length) throw new Error(errors.join('\n'));
    });
    await ctx.close();
  }

  // without JavaScript: shortcodes typed in the composer become emoji
  const nojs = await context(browser, SETUPS[0], false);
  const p2 = await nojs.newPage();
  await check('shortcodes without JavaScript', async () => {
    await signIn(p2, BASE, users.ben.name, pw);
    await p2.goto(BASE + '/c/' + ch);
    await p2.fill('#body', 'ship it :rocket: :thumbs_up: :+1: :tada:');
    await Promise.all([p2.waitForNavigation(), p2.click('form[data-composer] button[value=send]')]);
    await p2.waitForSelector('#messages li.msg:has-text("ship it 🚀 👍 👍 🎉")');
    if (await p2.$('.ep-open')) throw new Error('picker buttons without JavaScript');
    await axeNoJs(browser, SETUPS[0], await nojs.cookies(), BASE + '/c/' + ch, axe, 'shortcodes[nojs]');
  });
  await check('reaction picker page without JavaScript', async () => {
    await p2.goto(BASE + '/c/' + ch);
    await p2.click('#messages .msg details.acts > summary');
    await Promise.all([p2.waitForNavigation(), p2.click('#messages .msg .react-more')]);
    await p2.fill('#emoji-q', 'party popper');
    await Promise.all([p2.waitForNavigation(), p2.click('main form[role=search] button[type=submit]')]);
    await p2.waitForSelector('.emoji-results button');
    await axeNoJs(browser, SETUPS[1], await nojs.cookies(), p2.url(), axe, 'reaction picker[nojs,de]');
    await Promise.all([p2.waitForNavigation(), p2.click('.emoji-results button')]);
    await p2.waitForSelector('#messages .reactions button:has-text("🎉")');
  });
  await check('channels, levels, people and profiles without JavaScript', async () => {
    await p2.goto(BASE + '/channels');
    await p2.selectOption('form[action="/c/' + ch + '/notify"] select', 'none');
    await Promise.all([p2.waitForNavigation(), p2.click('form[action="/c/' + ch + '/notify"] button')]);
    if (!p2.url().endsWith('/channels?done=saved')) throw new Error('after saving: ' + p2.url());
    const lvl = (await api(BASE, 'GET', '/api/v1/channels/' + cid, users.ben.token)).notify;
    if (lvl !== 'none') throw new Error('level ' + lvl);
    await Promise.all([p2.waitForNavigation(), p2.click('form[action="/c/' + ch2 + '/leave"] button')]);
    await Promise.all([p2.waitForNavigation(), p2.click('form[action="/c/' + ch2 + '/join"] button')]);
    if (!p2.url().endsWith('/c/' + ch2)) throw new Error('after joining: ' + p2.url());
    await axeNoJs(browser, SETUPS[0], await nojs.cookies(), BASE + '/channels', axe, 'channels[nojs]');
    await p2.goto(BASE + '/u/' + users.ben.name);
    await p2.fill('#status_text', 'Testing things');
    await p2.selectOption('#time_zone', 'Europe/Berlin');
    await Promise.all([p2.waitForNavigation(), p2.click('form[action="/settings/status"] button[type=submit]')]);
    const t = await p2.textContent('main');
    if (!t.includes('Testing things') || !t.includes('Europe/Berlin')) throw new Error('profile: ' + t.slice(0, 300));
    await axeNoJs(browser, SETUPS[1], await nojs.cookies(), BASE + '/u/' + users.ben.name, axe, 'profile[nojs,de]');
    await p2.goto(BASE + '/people?q=' + users.ana.name);
    await Promise.all([p2.waitForNavigation(), p2.click('.person form[action="/channels/dm"] button')]);
    if (!/\/c\/\d+$/.test(p2.url())) throw new Error('DM not opened: ' + p2.url());
    await axeNoJs(browser, SETUPS[2], await nojs.cookies(), BASE + '/people', axe, 'people[nojs,phone]');
  });
  await nojs.close();
};
