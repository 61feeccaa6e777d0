// flow-ws.js: live updates over WebSocket in a real browser. A signed-in
// channel page connects to /api/v1/events/ws (static/js/ws.js marks
// body[data-transport]); a message a second user posts appears without a
// reload; typing sent as a frame shows in the other window; no script error.
// Where WebSocket is not offered (shared hosting) the page says "sse"
// instead, which fails here: both test web servers offer it.
'use strict';
const crypto = require('crypto');
const { api, watch, signIn } = require('./util');

module.exports = async function ({ browser, BASE, check }) {
  const tag = crypto.randomBytes(3).toString('hex');
  const pw = 'Sock-' + tag + '-pass';
  const admin = (await api(BASE, 'POST', '/api/v1/auth/login', null,
    { username: 'admin', password: process.env.PX_ADMIN_PASSWORD || '' })).token;
  const users = [];
  for (const who of ['wa', 'wb']) {
    const code = (await api(BASE, 'POST', '/api/v1/admin/invites', admin, { role: 'member' })).code;
    const tok = (await api(BASE, 'POST', '/api/v1/auth/register', null,
      { username: who + tag, password: pw, invite: code, display_name: (who === 'wa' ? 'Wanda ' : 'Walt ') + tag })).token;
    users.push({ name: who + tag, tok });
  }
  const ch = 'ws-' + tag;
  const cid = (await api(BASE, 'POST', '/api/v1/channels', users[0].tok, { kind: 'public', name: ch })).id;
  await api(BASE, 'POST', '/api/v1/channels/' + cid + '/members', users[1].tok, {});
  const vp = { viewport: { width: 1280, height: 800 }, locale: 'en-GB' };
  const ctxA = await browser.newContext(vp);
  const ctxB = await browser.newContext(vp);
  const errors = [];
  const a = await ctxA.newPage();
  const b = await ctxB.newPage();
  watch(a, errors);
  watch(b, errors);
  let navs = 0, httpTyping = 0;
  a.on('request', (r) => { if (/\/typing$/.test(r.url())) httpTyping++; });
  b.on('framenavigated', (f) => { if (f === b.mainFrame()) navs++; });
  try {
    await check('ws: the channel page connects over WebSocket', async () => {
      await signIn(a, BASE, users[0].name, pw);
      await signIn(b, BASE, users[1].name, pw);
      await a.goto(BASE + '/c/' + ch);
      await b.goto(BASE + '/c/' + ch);
      await b.waitForSelector('body[data-transport]', { timeout: 10000 });
      const t = await b.evaluate(() => document.body.dataset.transport);
      if (t !== 'websocket') throw new Error('transport is ' + t);
      await a.waitForSelector('body[data-transport=websocket]', { timeout: 10000 });
      navs = 0;
      await b.evaluate(() => { window.pxStayed = 1; });
    });
    await check('ws: a message from the other user appears without a reload', async () => {
      const text = 'over the socket ' + tag;
      await api(BASE, 'POST', '/api/v1/channels/' + cid + '/messages', users[0].tok, { body: text });
      await b.waitForSelector('#messages li:has-text("' + text + '")', { timeout: 10000 });
      if (navs || !(await b.evaluate(() => window.pxStayed === 1))) throw new Error('the page was reloaded');
    });
    await check('ws: typing is sent as a frame and seen by the other user', async () => {
      await a.type('#body', 'typing…', { delay: 20 });
      await b.waitForSelector('#typing:has-text("Wanda")', { timeout: 10000 });
      await a.fill('#body', '');
      if (httpTyping) throw new Error('typing went over HTTP (' + httpTyping + ' requests)');
    });
    await check('ws: no script error', async () => {
      if (errors.length) throw new Error(errors.join('\n'));
    });
  } finally {
    await ctxA.close();
    await ctxB.close();
  }
};
