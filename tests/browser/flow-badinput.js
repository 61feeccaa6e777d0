// flow-badinput.js: hostile and unusual input must render safely and keep
// the layout: a 16,000-character message with a 3,000-character word,
// deeply nested Markdown, a display name full of HTML, right-to-left and
// combining characters. Checked on a desktop and a 360 px phone: nothing
// scrolls sideways, no element from the input becomes markup, axe passes.
'use strict';
const crypto = require('crypto');
const { api } = require('./util');

module.exports = async function ({ browser, BASE, check, axe, shot }) {
  const tag = crypto.randomBytes(3).toString('hex');
  const pw = 'Bad-Input-' + tag + '-pass';
  const admin = (await api(BASE, 'POST', '/api/v1/auth/login', null,
    { username: 'admin', password: process.env.PX_ADMIN_PASSWORD || '' })).token;
  const code = (await api(BASE, 'POST', '/api/v1/admin/invites', admin, { role: 'member' })).code;
  const display = 'Eve "<i>x</i>" & <b>bold</b> \u05e9\u05dc\u05d5\u05dd Z\u0351\u036b\u0343\u036a\u0302algo';
  const user = (await api(BASE, 'POST', '/api/v1/auth/register', null,
    { username: 'bad' + tag, password: pw, invite: code, display_name: display }));
  const tok = user.token;
  const ch = (await api(BASE, 'POST', '/api/v1/channels', tok, { kind: 'public', name: 'bad-' + tag })).id;
  const word = 'W'.repeat(3000);
  const long = (word + ' ' + 'lorem ipsum dolor '.repeat(800)).slice(0, 15990) + ' END' + tag;
  const nested = '> '.repeat(20) + 'deep quote\n\n' + Array.from({ length: 8 }, (_, i) => '  '.repeat(i) + '- level ' + i).join('\n');
  const rtl = '\u202eevil\u202c \u05e9\u05dc\u05d5\u05dd \u0639\u0631\u0628\u064a mixed with English and e\u0301\u0301\u0301';
  for (const body of [long, nested, rtl, '<script>x</script> & <b>not bold</b>']) {
    const r = await fetch(BASE + '/api/v1/channels/' + ch + '/messages', { method: 'POST',
      headers: { Authorization: 'Bearer ' + tok, 'Content-Type': 'application/json' }, body: JSON.stringify({ body }) });
    if (r.status !== 201 && r.status !== 403) throw new Error('post: ' + r.status);
  }
  for (const vp of [{ name: 'desktop', viewport: { width: 1280, height: 800 } },
    { name: 'phone', viewport: { width: 360, height: 740 }, isMobile: true }]) {
    const ctx = await browser.newContext({ viewport: vp.viewport, isMobile: !!vp.isMobile });
    const page = await ctx.newPage();
    await check('bad input renders safely[' + vp.name + ']', async () => {
      await page.goto(BASE + '/login');
      await page.fill('#username', 'bad' + tag);
      await page.fill('#password', pw);
      await Promise.all([page.waitForNavigation(), page.click('form[action="/login"] button[type=submit]')]);
      await page.goto(BASE + '/c/bad-' + tag);
      await page.waitForSelector('#messages li:has-text("END' + tag + '")');
      const r = await page.evaluate(() => ({
        width: document.documentElement.scrollWidth,
        italic: document.querySelectorAll('.meta .name i, .meta .name b').length,
        scripts: document.querySelectorAll('#messages script').length,
        widest: Math.max(...[...document.querySelectorAll('#messages .body')].map((b) => b.getBoundingClientRect().right)),
        main: document.getElementById('main').getBoundingClientRect().right,
        name: document.querySelector('#messages .meta .name').textContent,
      }));
      if (r.width > vp.viewport.width + 1) throw new Error('page is ' + r.width + ' px wide');
      if (r.widest > r.main + 1) throw new Error('a message body sticks out of the column');
      if (r.italic || r.scripts) throw new Error('input became markup');
      if (!r.name.includes('<i>x</i>')) throw new Error('display name not shown as text: ' + r.name);
      await axe(page, 'bad-input[' + vp.name + ']');
      await shot(page, 'bad-input-' + vp.name + '.png');
    });
    await ctx.close();
  }
};
