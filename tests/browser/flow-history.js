// flow-history.js: older messages load on scroll (the "Older messages"
// link's page is fetched and put in front without leaving the page), and
// the link itself works with JavaScript off.
'use strict';
const crypto = require('crypto');
const { api, signIn } = require('./util');

module.exports = async function ({ browser, BASE, check }) {
  const tag = crypto.randomBytes(3).toString('hex');
  const pw = 'History-' + tag + '-pass';
  const admin = (await api(BASE, 'POST', '/api/v1/auth/login', null,
    { username: 'admin', password: process.env.PX_ADMIN_PASSWORD || '' })).token;
  const code = (await api(BASE, 'POST', '/api/v1/admin/invites', admin, { role: 'member' })).code;
  const tok = (await api(BASE, 'POST', '/api/v1/auth/register', null,
    { username: 'hist' + tag, password: pw, invite: code })).token;
  const ch = 'hist-' + tag;
  const id = (await api(BASE, 'POST', '/api/v1/channels', tok, { kind: 'public', name: ch })).id;
  for (let i = 0; i < 60; i++)
    await api(BASE, 'POST', '/api/v1/channels/' + id + '/messages', tok, { body: 'history message ' + i + ' end' });

  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  await check('older messages load on scroll', async () => {
    await signIn(page, BASE, 'hist' + tag, pw);
    await page.goto(BASE + '/c/' + ch);
    await page.waitForSelector('#older', { state: 'attached' });
    const url = page.url();
    if (await page.$('#messages li:has-text("history message 0 end")')) throw new Error('first page already has the oldest');
    // the message list scrolls, not the page: up to its top
    await page.evaluate(() => document.getElementById('older').scrollIntoView());
    await page.waitForSelector('#messages li:has-text("history message 0 end")', { timeout: 15000 });
    if (page.url() !== url) throw new Error('the page was left: ' + page.url());
    const n = await page.$$eval('#messages > li', (l) => l.length);
    if (n !== 60) throw new Error('want 60 messages, got ' + n);
  });
  await ctx.close();
  const nojs = await browser.newContext({ javaScriptEnabled: false });
  const p2 = await nojs.newPage();
  await check('older messages by link without JavaScript', async () => {
    await signIn(p2, BASE, 'hist' + tag, pw);
    await p2.goto(BASE + '/c/' + ch);
    await Promise.all([p2.waitForNavigation(), p2.click('#older')]);
    await p2.waitForSelector('#messages li:has-text("history message 0 end")');
    await p2.waitForSelector('#newer');
  });
  await nojs.close();
};
