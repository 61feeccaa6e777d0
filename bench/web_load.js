// web_load.js: what a browser transfers to open a channel of 50 messages,
// measured in headless Chromium through the DevTools protocol: the first
// load (empty cache: every response's encoded bytes, HTML compressed as the
// server sends it), a repeat load (same browser, cache warm) and
// DOMContentLoaded of each. Prints one JSON line.
// Usage: PX_BASE_URL=... PX_ADMIN_PASSWORD=... node web_load.js
'use strict';
const { chromium } = require('playwright-core');

const BASE = process.env.PX_BASE_URL;
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function api(method, path, token, body) {
  const h = { Accept: 'application/json' };
  if (token) h.Authorization = 'Bearer ' + token;
  if (body) h['Content-Type'] = 'application/json';
  const r = await fetch(BASE + path, { method, headers: h, body: body ? JSON.stringify(body) : undefined });
  const j = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(method + ' ' + path + ': ' + r.status + ' ' + JSON.stringify(j));
  return j;
}

// One navigation: bytes on the wire (each finished request's response
// headers and encoded body, as Chromium counts them) and DOMContentLoaded
// in ms from the start of navigation.
async function load(page, url) {
  const reqs = [];
  const done = (r) => reqs.push(r);
  page.on('requestfinished', done);
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForTimeout(500);
  page.off('requestfinished', done);
  let bytes = 0, count = 0;
  for (const r of reqs) {
    // the event stream never finishes; what did finish counts
    const s = await r.sizes().catch(() => null);
    if (!s) continue;
    bytes += s.responseHeadersSize + s.responseBodySize;
    count++;
  }
  const dcl = await page.evaluate(() => {
    const n = performance.getEntriesByType('navigation')[0];
    return Math.round(n.domContentLoadedEventEnd - n.startTime);
  });
  return { bytes, requests: count, dcl_ms: dcl };
}

(async () => {
  const admin = (await api('POST', '/api/v1/auth/login', null,
    { username: 'admin', password: process.env.PX_ADMIN_PASSWORD })).token;
  const pw = 'Bench-Load-' + Date.now() + '!';
  const code = (await api('POST', '/api/v1/admin/invites', admin, { role: 'member' })).code;
  const name = 'wl' + Date.now().toString(36);
  const u = await api('POST', '/api/v1/auth/register', null, { invite: code, username: name, password: pw });
  const ch = await api('POST', '/api/v1/channels', u.token, { kind: 'public', name: 'bench-' + name });
  const words = 'the quick brown fox jumps over a lazy dog while **bold** and `code` flow past'.split(' ');
  for (let i = 0; i < 50; i++) {
    await api('POST', '/api/v1/channels/' + ch.id + '/messages', u.token,
      { body: 'Message ' + i + ': ' + words.slice(0, 6 + (i % 9)).join(' ') });
  }
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ARGS });
  // no service worker: it would answer from its own cache; the HTTP cache
  // of a browser that opens the channel again is what is measured
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, serviceWorkers: 'block' });
  const page = await ctx.newPage();
  await page.goto(BASE + '/login');
  await page.fill('#username', name);
  await page.fill('#password', pw);
  await Promise.all([page.waitForNavigation(), page.click('form[action="/login"] button[type=submit]')]);
  // the sign-in landed on / and cached nothing of the channel page yet;
  // clear the cache so the first load fetches CSS, JS and icons too
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.clearBrowserCache');
  const url = BASE + '/c/' + ch.name;
  const first = await load(page, url);
  const repeat = await load(page, url);
  console.log(JSON.stringify({ first, repeat }));
  await browser.close();
})().catch((e) => { console.error(e); process.exit(1); });
