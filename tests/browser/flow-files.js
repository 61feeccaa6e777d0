// flow-files.js: files in a real browser. Attach with the button and JavaScript
// off (the plain multipart form), by drag and drop and by pasting an image
// (uploads with a progress bar, sent without leaving the page), remove before
// sending, an upload error announced in the form, the image seen live in a
// second user's window, the image viewer (Escape closes it, focus returns),
// and the channel's files page; axe on each new page and state. The
// script-driven steps also check that the page was never reloaded and that
// no script error was logged, so they fail when app.js breaks.
'use strict';
const crypto = require('crypto');
const { api, watch, signIn } = require('./util');
const { execFileSync } = require('child_process');
const zlib = require('zlib');

const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// A w x h RGB PNG of one colour.
function png(w, h, rgb) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array(w).fill(rgb).flat())]);
  const raw = Buffer.concat(Array(h).fill(row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// Counts the main frame's navigations after the first load, and marks the
// window: a reload would lose the mark.
async function stayPut(page) {
  const state = { navs: 0 };
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) state.navs++; });
  await page.evaluate(() => { window.pxStayed = 1; });
  state.check = async (what) => {
    const mark = await page.evaluate(() => window.pxStayed === 1);
    if (state.navs || !mark) throw new Error(what + ': the page was reloaded or left (' + state.navs + ' navigations)');
  };
  return state;
}

// Dispatches a drop of one file on selector, or a paste into it.
async function give(page, how, selector, file) {
  await page.evaluate(({ how, selector, b64, name, type }) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], name, { type }));
    const el = document.querySelector(selector);
    if (how === 'paste') {
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
      return;
    }
    for (const t of ['dragenter', 'dragover', 'drop'])
      el.dispatchEvent(new DragEvent(t, { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, { how, selector, b64: file.data.toString('base64'), name: file.name, type: file.type });
}

module.exports = async function ({ browser, BASE, check, axe, shot }) {
  const tag = crypto.randomBytes(3).toString('hex');
  const pw = 'Files-' + tag + '-pass';
  const admin = (await api(BASE, 'POST', '/api/v1/auth/login', null,
    { username: 'admin', password: process.env.PX_ADMIN_PASSWORD || '' })).token;
  const users = [];
  for (const who of ['fa', 'fb']) {
    const code = (await api(BASE, 'POST', '/api/v1/admin/invites', admin, { role: 'member' })).code;
    const tok = (await api(BASE, 'POST', '/api/v1/auth/register', null,
      { username: who + tag, password: pw, invite: code, display_name: (who === 'fa' ? 'Fay ' : 'Finn ') + tag })).token;
    users.push({ name: who + tag, tok });
  }
  const ch = 'files-' + tag;
  const cid = (await api(BASE, 'POST', '/api/v1/channels', users[0].tok, { kind: 'public', name: ch })).id;
  await api(BASE, 'POST', '/api/v1/channels/' + cid + '/members', users[1].tok, {});

  const vp = { viewport: { width: 1280, height: 800 }, locale: 'en-GB' };
  const ctxA = await browser.newContext(vp);
  const ctxB = await browser.newContext(vp);
  const nojs = await browser.newContext(Object.assign({ javaScriptEnabled: false }, vp));
  const errors = [];
  const a = await ctxA.newPage();
  const b = await ctxB.newPage();
  const n = await nojs.newPage();
  watch(a, errors);
  watch(b, errors);
  try {
    await check('files: second user watches the channel live', async () => {
      await signIn(b, BASE, users[1].name, pw);
      await b.goto(BASE + '/c/' + ch);
      await b.waitForSelector('#live:not(:empty)', { timeout: 15000 });
    });

    await check('files: attach with the button, JavaScript off', async () => {
      await signIn(n, BASE, users[0].name, pw);
      await n.goto(BASE + '/c/' + ch);
      if (await n.$('[data-dnd-hint]:not([hidden])')) throw new Error('the script-only hint shows without the script');
      await n.fill('#body', 'No script, two files ' + tag);
      await n.setInputFiles('#files', [
        { name: 'nojs.png', mimeType: 'image/png', buffer: png(40, 30, [200, 30, 30]) },
        { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('plain notes\n'.repeat(200)) },
      ]);
      await Promise.all([n.waitForNavigation(), n.click('#composer button[value=send]')]);
      if (!/#m\d+$/.test(n.url())) throw new Error('not back on the message: ' + n.url());
      const img = await n.waitForSelector('#messages li img[alt="nojs.png"]');
      if (!(await img.getAttribute('width')) || !(await img.getAttribute('height'))) throw new Error('image without width/height');
      const ok = await n.evaluate(() => {
        const i = document.querySelector('#messages li img[alt="nojs.png"]');
        return i.complete && i.naturalWidth === 40;
      });
      if (!ok) throw new Error('the image did not load');
      const card = await n.waitForSelector('#messages li .fcard:has-text("notes.txt")');
      const text = await card.textContent();
      if (!/2\.3 KB/.test(text)) throw new Error('no size on the card: ' + text);
      if (!(await card.$('a[href$="/content?download=1"]'))) throw new Error('no download link');
      await shot(n, 'files-message-nojs.png');
      // the second user's open page shows it live (axe needs scripts on,
      // so the message with an image and a file card is audited there)
      await b.waitForSelector('#messages li img[alt="nojs.png"]', { timeout: 15000 });
      await b.waitForSelector('#messages li .fcard:has-text("notes.txt")');
      await axe(b, 'message-with-files');
    });

    await signIn(a, BASE, users[0].name, pw);
    await a.goto(BASE + '/c/' + ch);
    await a.waitForSelector('#live:not(:empty)', { timeout: 15000 });
    const stay = await stayPut(a);

    await check('files: drag and drop, progress, send, seen live by the other user', async () => {
      const hint = await a.$('[data-dnd-hint]');
      if (!hint || await hint.getAttribute('hidden') !== null) throw new Error('drop hint not shown');
      await give(a, 'drop', '#main', { name: 'dropped.png', type: 'image/png', data: png(120, 80, [20, 120, 200]) });
      const item = await a.waitForSelector('#composer [data-attached] li.att:has-text("dropped.png")');
      await a.waitForSelector('#composer [data-attached] li.att input[name=file_ids]', { state: 'attached', timeout: 15000 });
      const bar = await item.$('progress');
      if (!bar || Number(await bar.getAttribute('value') || await bar.evaluate((p) => p.value)) !== 100) throw new Error('progress bar not at 100');
      await axe(a, 'composer-with-attachment');
      await shot(a, 'files-composer.png');
      await a.fill('#body', 'Dropped image ' + tag);
      await a.press('#body', 'Enter');
      await a.waitForSelector('#messages li img[alt="dropped.png"]', { timeout: 15000 });
      const left = await a.$$('#composer [data-attached] li');
      if (left.length) throw new Error('the composer still lists the sent file');
      await b.waitForSelector('#messages li img[alt="dropped.png"]', { timeout: 15000 });
      await stay.check('drop');
    });

    await check('files: paste an image, seen live by the other user', async () => {
      await a.focus('#body');
      await give(a, 'paste', '#body', { name: 'pasted.png', type: 'image/png', data: png(64, 64, [30, 160, 60]) });
      await a.waitForSelector('#composer [data-attached] li.att:has-text("pasted.png") input[name=file_ids]',
        { state: 'attached', timeout: 15000 });
      await a.click('#composer button[value=send]');
      await a.waitForSelector('#messages li img[alt="pasted.png"]', { timeout: 15000 });
      const img = await b.waitForSelector('#messages li img[alt="pasted.png"]', { timeout: 15000 });
      await b.waitForFunction((el) => el.complete && el.naturalWidth === 64, img, { timeout: 10000 });
      await axe(b, 'channel-live-image');
      await shot(b, 'files-second-user.png');
      await stay.check('paste');
    });

    await check('files: remove before sending', async () => {
      await give(a, 'drop', '#main', { name: 'unwanted.png', type: 'image/png', data: png(10, 10, [0, 0, 0]) });
      const li = await a.waitForSelector('#composer [data-attached] li.att:has-text("unwanted.png")');
      await a.waitForSelector('#composer [data-attached] li.att:has-text("unwanted.png") input[name=file_ids]', { state: 'attached' });
      const id = await li.evaluate((el) => el.dataset.fileId);
      await li.$('button').then((btn) => btn.click());
      await a.waitForSelector('#composer [data-attached] li', { state: 'detached' });
      await a.fill('#body', 'Nothing attached ' + tag);
      await a.press('#body', 'Enter');
      const msg = await a.waitForSelector('#messages li:has-text("Nothing attached ' + tag + '")');
      if (await msg.$('.files')) throw new Error('the removed file was sent');
      // the draft is gone on the server too
      for (let i = 0; i < 50; i++) {
        const r = await fetch(BASE + '/api/v1/files/' + id, { headers: { Authorization: 'Bearer ' + users[0].tok } });
        if (r.status === 404) break;
        if (i === 49) throw new Error('removed draft still there: ' + r.status);
        await new Promise((res) => setTimeout(res, 100));
      }
      await stay.check('remove');
    });

    await check('files: an upload error is announced', async () => {
      await give(a, 'drop', '#main', { name: 'empty.txt', type: 'text/plain', data: Buffer.alloc(0) });
      const st = await a.waitForSelector('#composer [data-upload-status]:has-text("empty.txt")');
      const text = await st.textContent();
      if (!/empty\.txt: .*empty/i.test(text)) throw new Error('status says: ' + text);
      if (await st.getAttribute('role') !== 'status') throw new Error('status region is not live');
      if ((await a.$$('#composer [data-attached] li')).length) throw new Error('failed file still listed');
      await stay.check('error');
    });

    await check('files: image viewer opens and closes with the keyboard', async () => {
      const link = a.locator('#messages li a.thumb:has(img[alt="dropped.png"])').last();
      await link.focus();
      await a.keyboard.press('Enter');
      await a.waitForSelector('#viewer[open] img[alt="dropped.png"]');
      await axe(a, 'image-viewer');
      await a.keyboard.press('Escape');
      await a.waitForSelector('#viewer:not([open])', { state: 'attached' });
      const back = await a.evaluate(() => document.activeElement && document.activeElement.matches('a.thumb'));
      if (!back) throw new Error('focus did not return to the image link');
      await stay.check('viewer');
    });

    // An image whose metadata has its size is shown from its thumbnail;
    // where that route is missing (404) the script falls back to the file.
    // The size is written as the image pipeline records it (needs the test
    // database: PX_PG_CONNINFO and psql, as scripts/test.sh provides).
    if (process.env.PX_PG_CONNINFO) await check('files: thumbnail, or the file when there is none', async () => {
      await give(a, 'drop', '#main', { name: 'sized.png', type: 'image/png', data: png(160, 90, [90, 40, 150]) });
      const li = await a.waitForSelector('#composer [data-attached] li.att:has-text("sized.png") input[name=file_ids]',
        { state: 'attached', timeout: 15000 });
      const id = Number(await li.getAttribute('value'));
      execFileSync('psql', [process.env.PX_PG_CONNINFO, '-Atc',
        'UPDATE files SET width = 1600, height = 900 WHERE id = ' + id]);
      await a.fill('#body', 'Sized ' + tag);
      await a.press('#body', 'Enter');
      const img = await b.waitForSelector('#messages li img[alt="sized.png"]', { timeout: 15000 });
      const src = await img.getAttribute('src');
      if (src !== '/api/v1/files/' + id + '/thumbnail' && src !== '/api/v1/files/' + id + '/content' &&
          !src.startsWith('/api/v1/files/' + id + '/signed?'))
        throw new Error('src ' + src);
      if (await img.getAttribute('width') !== '400' || await img.getAttribute('height') !== '225')
        throw new Error('not fitted into the 400-pixel box');
      await b.waitForFunction((el) => el.complete && el.naturalWidth > 0, img, { timeout: 10000 });
      await stay.check('thumbnail');
    });

    await check('files: the channel files page', async () => {
      await Promise.all([a.waitForNavigation(), a.click('.chanhead a.fileslink')]);
      for (const f of ['nojs.png', 'notes.txt', 'dropped.png', 'pasted.png'])
        await a.waitForSelector('.filelist li:has-text("' + f + '")');
      if (!(await a.$('.filelist li:has-text("Fay ' + tag + '")'))) throw new Error('no uploader shown');
      await axe(a, 'files-page');
      await shot(a, 'files-page.png');
      await Promise.all([a.waitForNavigation(), a.locator('.filelist li:has-text("notes.txt") a:has-text("Show message")').click()]);
      await a.waitForSelector('#messages li:has-text("No script, two files ' + tag + '")');
      const phone = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
      const p = await phone.newPage();
      await signIn(p, BASE, users[1].name, pw);
      await p.goto(BASE + '/c/' + ch + '/files');
      const w = await p.evaluate(() => document.documentElement.scrollWidth);
      if (w > 361) throw new Error('files page is ' + w + ' px wide on a phone');
      await axe(p, 'files-page[phone]');
      await p.goto(BASE + '/c/' + ch);
      const w2 = await p.evaluate(() => document.documentElement.scrollWidth);
      if (w2 > 361) throw new Error('channel with files is ' + w2 + ' px wide on a phone');
      await shot(p, 'files-channel-phone.png');
      await phone.close();
    });

    await check('files: no script errors', async () => {
      if (errors.length) throw new Error(errors.join('\n'));
    });
  } finally {
    await ctxA.close();
    await ctxB.close();
    await nojs.close();
  }
};
