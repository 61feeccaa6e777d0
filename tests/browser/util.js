// util.js: what the flow-*.js files share (run.js loads only flow-*.js):
// the JSON API with a bearer token, script errors of a page, signing in.
'use strict';

// Calls the API; throws with the status and answer unless it is 2xx.
async function api(BASE, method, path, token, body) {
  const h = { Accept: 'application/json' };
  if (token) h.Authorization = 'Bearer ' + token;
  if (body) h['Content-Type'] = 'application/json';
  const r = await fetch(BASE + path, { method, headers: h, body: body ? JSON.stringify(body) : undefined });
  const j = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(method + ' ' + path + ': ' + r.status + ' ' + JSON.stringify(j));
  return j;
}

// Collects the page's script errors (failed loads and the service worker
// aside) into errors.
function watch(page, errors) {
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource|service ?worker/i.test(m.text())) errors.push(m.text());
  });
}

// Signs in with the form and checks that the main view came.
async function signIn(page, BASE, name, pw) {
  await page.goto(BASE + '/login');
  await page.fill('#username', name);
  await page.fill('#password', pw);
  await Promise.all([page.waitForNavigation(), page.click('form[action="/login"] button[type=submit]')]);
  if (!(await page.$('.sidebar'))) throw new Error('sign-in failed: ' + page.url());
}

// Opens the channel header's tools menu when it is folded (a phone shows
// files, notification level, pins, members and shortcuts behind it; a
// desktop shows them in the header and has nothing to open). Fails when
// the tools are neither shown nor behind the menu.
async function chanTools(page) {
  const menu = page.locator('.chanhead details.chantools');
  if (await menu.locator('> summary').isVisible()) {
    if (!(await menu.evaluate((d) => d.open))) await menu.locator('> summary').click();
  }
  await page.locator('#chan-tools a.keys').waitFor({ state: 'visible' });
}

// Whether a flow runs in this viewport and language. By default each
// viewport and each language once: the desktop in English and the phone in
// German (the longest words on the narrowest screen); the two other pairs
// only add time to the test command's budget. PX_BROWSER_MATRIX=full runs
// every pair.
function inMatrix(viewport, lang) {
  return process.env.PX_BROWSER_MATRIX === 'full' || (viewport === 'desktop') === (lang === 'en');
}

module.exports = { api, watch, signIn, chanTools, inMatrix };
