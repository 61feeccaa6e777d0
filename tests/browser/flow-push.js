// flow-push.js: the PWA's side of Web Push. The settings page shows the
// "push on this device" button only with JavaScript; a push message handed
// to the service worker (through the DevTools protocol, as a push service
// would deliver it: Chromium here has no network to reach a real one) is
// shown as a notification naming the channel, and its click target is the
// message's path.
'use strict';
const crypto = require('crypto');
const { api, signIn } = require('./util');

module.exports = async function ({ browser, BASE, check }) {
  const tag = crypto.randomBytes(3).toString('hex');
  const pw = 'Push-' + tag + '-pass-word';
  const admin = (await api(BASE, 'POST', '/api/v1/auth/login', null,
    { username: 'admin', password: process.env.PX_ADMIN_PASSWORD || '' })).token;
  const code = (await api(BASE, 'POST', '/api/v1/admin/invites', admin, { role: 'member' })).code;
  await api(BASE, 'POST', '/api/v1/auth/register', null, { username: 'push' + tag, password: pw, invite: code });

  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await ctx.grantPermissions(['notifications'], { origin: BASE });
  const page = await ctx.newPage();
  await check('push: settings button and the service worker shows a push', async () => {
    await signIn(page, BASE, 'push' + tag, pw);
    const cdp = await ctx.newCDPSession(page);
    let regs = [];
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => { regs = regs.concat(e.registrations); });
    await cdp.send('ServiceWorker.enable');
    await page.goto(BASE + '/settings');
    await page.waitForSelector('#push-subscribe:not([hidden])', { timeout: 10000 });
    await page.evaluate(() => navigator.serviceWorker.ready);
    const deadline = Date.now() + 10000;
    let reg;
    while (!(reg = regs.find((r) => r.scopeURL === BASE + '/' && !r.isDeleted)) && Date.now() < deadline)
      await page.waitForTimeout(100);
    if (!reg) throw new Error('no service worker registration: ' + JSON.stringify(regs));
    const data = { title: 'alice in #general', body: 'ship it', url: '/c/7#m42', tag: 'px-n1', kind: 'mention' };
    await cdp.send('ServiceWorker.deliverPushMessage',
      { origin: BASE, registrationId: reg.registrationId, data: JSON.stringify(data) });
    const got = await page.evaluate(async () => {
      const r = await navigator.serviceWorker.ready;
      // up to 20 s: on a loaded machine the worker may start late
      for (let i = 0; i < 200; i++) {
        const n = await r.getNotifications();
        if (n.length) return n.map((x) => ({ title: x.title, body: x.body, tag: x.tag, url: x.data && x.data.url }));
        await new Promise((ok) => setTimeout(ok, 100));
      }
      return [];
    });
    if (got.length !== 1 || got[0].title !== data.title || got[0].body !== data.body ||
        got[0].tag !== data.tag || got[0].url !== data.url)
      throw new Error('notification shown: ' + JSON.stringify(got));
  });
  await ctx.close();
  const nojs = await browser.newContext({ javaScriptEnabled: false });
  const p2 = await nojs.newPage();
  await check('push: no button without JavaScript, the form still works', async () => {
    await signIn(p2, BASE, 'push' + tag, pw);
    await p2.goto(BASE + '/settings');
    if (await p2.isVisible('#push-subscribe')) throw new Error('the JavaScript-only button shows');
    await p2.selectOption('#mail_minutes', '60');
    await Promise.all([p2.waitForNavigation(), p2.click('form[action="/settings/notifications"] button[type=submit]')]);
    if ((await p2.$eval('#mail_minutes', (s) => s.value)) !== '60') throw new Error('not saved');
  });
  await nojs.close();
};
