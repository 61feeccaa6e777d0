// flow-passkey.js: passkeys in Chromium with its virtual authenticator
// (DevTools WebAuthn domain: CTAP2, internal transport, resident keys,
// user verification). WebAuthn needs a secure context whose host is a
// domain, so for this flow public_url is set to http://localhost:PORT
// (restored afterwards) and the pages are opened on localhost. Registers a
// passkey on the security page, signs out, signs in with the passkey alone
// (a discoverable credential), then signs in with the password and the
// passkey as the second factor; no console errors on the way, axe passes
// on the security page.
'use strict';
const crypto = require('crypto');
const { api } = require('./util');
const fs = require('fs');

const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

// Waits until every worker answers passkey options for rpId.
async function waitForRp(BASE, rpId) {
  let streak = 0;
  for (let i = 0; i < 150 && streak < 8; i++) {
    const r = await fetch(BASE + '/api/v1/auth/webauthn/login/options',
      { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    const j = await r.json().catch(() => ({}));
    streak = j.publicKey && j.publicKey.rpId === rpId ? streak + 1 : 0;
    await sleep(100);
  }
  if (streak < 8) throw new Error('public_url change not picked up (rpId ' + rpId + ')');
}

async function signOut(page) {
  await Promise.all([page.waitForNavigation(), page.click('form[action="/logout"] button')]);
}

module.exports = async function ({ browser, BASE, check, axe, shot }) {
  const conf = process.env.PX_CONFIG;
  if (!conf) {
    await check('passkeys (needs PX_CONFIG)', async () => { throw new Error('PX_CONFIG unset'); });
    return;
  }
  const port = new URL(BASE).port;
  const LOCAL = 'http://localhost:' + port;
  const orig = fs.readFileSync(conf, 'utf8');
  const tag = crypto.randomBytes(3).toString('hex');
  const name = 'pk' + tag, pw = 'Passkey-' + tag + '-pass';
  const admin = (await api(BASE, 'POST', '/api/v1/auth/login', null,
    { username: 'admin', password: process.env.PX_ADMIN_PASSWORD || '' })).token;
  const code = (await api(BASE, 'POST', '/api/v1/admin/invites', admin, { role: 'member' })).code;
  await api(BASE, 'POST', '/api/v1/auth/register', null, { username: name, password: pw, invite: code });

  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('response', (r) => { if (r.status() >= 400) errors.push(r.status() + ' ' + r.url()); });
  try {
    fs.writeFileSync(conf, orig + '\npublic_url = ' + LOCAL + '\n');
    await waitForRp(BASE, 'localhost');
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
        hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });

    await check('passkey: register on the security page', async () => {
      await page.goto(LOCAL + '/login');
      await page.fill('#username', name);
      await page.fill('#password', pw);
      await Promise.all([page.waitForNavigation(), page.click('form[action="/login"] button[type=submit]')]);
      await page.goto(LOCAL + '/settings/security');
      await page.waitForSelector('#passkey-add:not([hidden])');
      await page.fill('#passkey-name', 'Virtual key');
      await page.click('#passkey-add-btn');
      await page.waitForSelector('#passkey-codes:not([hidden])', { timeout: 15000 });
      const n = await page.$$eval('#passkey-code-list li', (l) => l.length);
      if (n !== 10) throw new Error('want 10 recovery codes, got ' + n);
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      if (credentials.length !== 1 || !credentials[0].isResidentCredential)
        throw new Error('authenticator holds ' + JSON.stringify(credentials));
      await page.goto(LOCAL + '/settings/security');
      const listed = await page.textContent('#passkey-list');
      if (!/Virtual key/.test(listed)) throw new Error('not listed: ' + listed);
      await axe(page, 'security-with-passkey');
      await shot(page, 'security-passkey.png');
    });

    await check('passkey: passwordless sign-in', async () => {
      await signOut(page);
      await page.goto(LOCAL + '/login?next=%2Fsettings');
      await page.waitForSelector('#passkey-login:not([hidden])');
      await Promise.all([page.waitForNavigation({ url: /\/settings$/ }), page.click('#passkey-login-btn')]);
      const me = await page.getAttribute('body', 'data-me');
      if (!me) throw new Error('not signed in after the passkey');
    });

    await check('passkey: second factor after the password', async () => {
      await signOut(page);
      await page.goto(LOCAL + '/login');
      await page.fill('#username', name);
      await page.fill('#password', pw);
      await Promise.all([page.waitForNavigation(), page.click('form[action="/login"] button[type=submit]')]);
      await page.waitForSelector('#passkey-mfa:not([hidden])');
      await shot(page, 'login-mfa-passkey.png');
      await Promise.all([page.waitForNavigation(), page.click('#passkey-mfa-btn')]);
      const me = await page.getAttribute('body', 'data-me');
      if (!me) throw new Error('not signed in after the second factor: ' + page.url());
    });

    await check('passkey: no console errors', async () => {
      if (errors.length) throw new Error(errors.join('\n'));
    });
  } finally {
    fs.writeFileSync(conf, orig);
    await ctx.close();
    await waitForRp(BASE, '127.0.0.1').catch(() => {});
  }
};
