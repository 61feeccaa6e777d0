// flow-ai.js: the AI parts of the web UI with the built-in provider:
// summarise a channel and a thread (the answer marked as AI-made, naming
// provider and model, its points linking to messages), ask a question, and
// approve a held message in the review queue at /admin/ai. axe-core runs
// on the pages with the answers shown.
'use strict';
const crypto = require('crypto');
const { api, signIn, watch } = require('./util');

module.exports = async function ({ browser, BASE, check, axe, shot }) {
  const tag = crypto.randomBytes(3).toString('hex');
  const pw = 'Ai-Flow-' + tag + '-pass';
  const adminPw = process.env.PX_ADMIN_PASSWORD || '';
  const admin = (await api(BASE, 'POST', '/api/v1/auth/login', null,
    { username: 'admin', password: adminPw })).token;
  const code = (await api(BASE, 'POST', '/api/v1/admin/invites', admin, { role: 'member' })).code;
  const tok = (await api(BASE, 'POST', '/api/v1/auth/register', null,
    { username: 'aiflow' + tag, password: pw, invite: code })).token;
  const ch = 'aiflow-' + tag;
  const id = (await api(BASE, 'POST', '/api/v1/channels', tok, { kind: 'public', name: ch })).id;
  const post = (body, extra) => api(BASE, 'POST', '/api/v1/channels/' + id + '/messages', tok,
    Object.assign({ body }, extra || {}));
  const root = (await post('The release build fails on the database migration step.')).id;
  await post('The migration fails because the release build skips the lock.', { thread_root_id: root });
  await post('I will fix the migration lock in the release build today.');
  await post('Lunch at noon?');

  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB' });
  const page = await ctx.newPage();
  const errors = [];
  watch(page, errors);
  await check('AI: summarise a channel', async () => {
    await signIn(page, BASE, 'aiflow' + tag, pw);
    await page.goto(BASE + '/c/' + ch);
    await page.click('button.ai-summarise:has-text("Summarise channel")');
    await page.waitForSelector('#ai-channel-summary .ai-marker');
    const marker = await page.textContent('#ai-channel-summary .ai-marker');
    if (!/AI-generated · builtin · builtin-extractive-1/.test(marker)) throw new Error('marker: ' + marker);
    const links = await page.$$eval('#ai-channel-summary a.ai-source', (l) => l.map((a) => a.getAttribute('href')));
    if (!links.length || !links.every((h) => /^#m\d+$/.test(h))) throw new Error('links: ' + links);
    await axe(page, 'channel with AI summary');
  });
  await check('AI: summarise a thread', async () => {
    await page.goto(BASE + '/c/' + ch + '/thread/' + root);
    await page.click('button.ai-summarise:has-text("Summarise thread")');
    await page.waitForSelector('#ai-thread-summary .ai-marker');
    const t = await page.textContent('#ai-thread-summary');
    if (!/migration/.test(t) || /Lunch/.test(t)) throw new Error('thread summary: ' + t);
  });
  await check('AI: consent in settings', async () => {
    await page.goto(BASE + '/settings');
    await page.waitForSelector('#ai-settings:not([hidden]) #ai-remote-ok');
    await page.check('#ai-remote-ok');
    await page.waitForSelector('#ai-settings p:has-text("Saved.")');
    const s = await api(BASE, 'GET', '/api/v1/ai/settings', tok);
    if (s.remote_ok !== true) throw new Error('consent not saved');
    await axe(page, 'settings with AI consent');
  });
  await check('AI: ask a question', async () => {
    await page.goto(BASE + '/c/' + ch);
    await page.fill('#ai-question', 'why does the migration fail');
    await page.click('form.ai-ask button[type=submit]');
    await page.waitForSelector('#ai-ask-answer .ai-marker');
    const t = await page.textContent('#ai-ask-answer');
    if (!/migration/.test(t)) throw new Error('answer: ' + t);
    await axe(page, 'channel with AI answer');
    await shot(page, 'ai-answer.png');
    if (errors.length) throw new Error('script errors: ' + errors.join('; '));
  });
  await ctx.close();

  // the same controls in German: the labels, the placeholder and the marker
  const de = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'de-DE',
    extraHTTPHeaders: { 'Accept-Language': 'de-DE,de;q=0.9' } });
  const pde = await de.newPage();
  const deErrors = [];
  watch(pde, deErrors);
  await check('AI: the controls in German', async () => {
    await signIn(pde, BASE, 'aiflow' + tag, pw);
    await pde.goto(BASE + '/c/' + ch);
    await pde.click('button.ai-summarise:has-text("Kanal zusammenfassen")');
    await pde.waitForSelector('#ai-channel-summary .ai-marker');
    const h = await pde.textContent('#ai-channel-summary h2');
    const marker = await pde.textContent('#ai-channel-summary .ai-marker');
    if (h !== 'Zusammenfassung' || !/^KI-erzeugt · builtin/.test(marker)) throw new Error(h + ' / ' + marker);
    const ph = await pde.getAttribute('#ai-question', 'placeholder');
    if (ph !== 'Fragen Sie zu Ihren Kanälen …') throw new Error('placeholder: ' + ph);
    if ((await pde.textContent('form.ai-ask button[type=submit]')).trim() !== 'Fragen') throw new Error('ask button');
    if (deErrors.length) throw new Error('script errors: ' + deErrors.join('; '));
  });
  // Settings' AI section as the script draws it, in German, and after saving
  await check('AI: the Settings section in German', async () => {
    await pde.goto(BASE + '/settings');
    await pde.waitForSelector('#ai-settings:not([hidden]) #ai-remote-ok');
    const sec = () => pde.textContent('#ai-settings');
    let t = await sec();
    for (const de of ['KI', 'Meine Nachrichten in Direktnachrichten und privaten Kanälen dürfen an einen ' +
      'externen KI-Anbieter gehen', 'Heute:', 'Tagesbudgets:', 'keine Grenze', 'Standardanbieter: builtin.'])
      if (!t.includes(de)) throw new Error('missing "' + de + '" in ' + t);
    const english = ['AI', 'My messages', 'remote', 'provider', 'Today', 'Daily budgets', 'no limit',
      'tokens by you', 'Default', 'Saved'];
    const left = (x) => english.filter((en) => new RegExp('\\b' + en + '\\b').test(x));
    if (left(t).length) throw new Error('English left: ' + left(t) + ' in ' + t);
    // consent was given in English above: withdrawing it saves too
    await pde.uncheck('#ai-remote-ok');
    await pde.waitForFunction(() => document.querySelector('#ai-settings p.help').textContent === 'Gespeichert.');
    if ((await api(BASE, 'GET', '/api/v1/ai/settings', tok)).remote_ok !== false) throw new Error('not withdrawn');
    t = await sec();
    if (left(t).length) throw new Error('English left after saving: ' + left(t));
    await axe(pde, 'settings with AI [de]');
    if (deErrors.length) throw new Error('script errors: ' + deErrors.join('; '));
  });
  await de.close();

  // a held post, approved in the review queue
  await api(BASE, 'PUT', '/api/v1/ai/channels/' + id + '/settings', tok,
    { enabled: true, remote: false, moderation: 'hold' });
  const held = 'you idiot ' + tag;
  const r = await fetch(BASE + '/api/v1/channels/' + id + '/messages', { method: 'POST',
    headers: { Authorization: 'Bearer ' + tok, 'Content-Type': 'application/json' },
    body: JSON.stringify({ body: held }) });
  const rid = (await r.json()).review_id;
  const actx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB' });
  const ap = await actx.newPage();
  await check('AI: approve a held message in the review queue', async () => {
    if (r.status !== 202) throw new Error('post not held: ' + r.status);
    await signIn(ap, BASE, 'admin', adminPw);
    await ap.goto(BASE + '/admin/ai');
    const item = '.ai-review-item[data-review-id="' + rid + '"]';
    await ap.waitForSelector(item);
    await ap.waitForSelector('#ai-status table');
    await ap.waitForSelector('#ai-insights table');
    await axe(ap, 'admin AI review');
    await ap.click(item + ' button[data-decision=approve]');
    await ap.waitForSelector(item, { state: 'detached' });
    const page1 = await api(BASE, 'GET', '/api/v1/channels/' + id + '/messages', tok);
    if (!page1.messages.some((m) => m.body === held)) throw new Error('approved message not posted');
  });
  await actx.close();

  // the admin page in German: every fixed text, the review queue and the
  // status and insights the script writes
  const held2 = 'du Idiot ' + tag;
  const r2 = await fetch(BASE + '/api/v1/channels/' + id + '/messages', { method: 'POST',
    headers: { Authorization: 'Bearer ' + tok, 'Content-Type': 'application/json' },
    body: JSON.stringify({ body: held2 }) });
  const rid2 = (await r2.json()).review_id;
  const dctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'de-DE',
    extraHTTPHeaders: { 'Accept-Language': 'de-DE,de;q=0.9' } });
  const dp = await dctx.newPage();
  const dErrors = [];
  watch(dp, dErrors);
  await check('AI: the admin page in German', async () => {
    if (r2.status !== 202) throw new Error('post not held: ' + r2.status);
    await signIn(dp, BASE, 'admin', adminPw);
    await dp.goto(BASE + '/admin/ai');
    const item = '.ai-review-item[data-review-id="' + rid2 + '"]';
    await dp.waitForSelector(item);
    await dp.waitForSelector('#ai-status table');
    await dp.waitForSelector('#ai-insights p');
    const heads = await dp.$$eval('main h1, main h2', (l) => l.map((h) => h.textContent.trim()));
    if (!/: KI$/.test(heads[0]) || heads.slice(1).join('|') !==
        'Moderationsprüfung|Anbieter, Verbrauch und Budgets|Einblicke (letzte 30 Tage)') throw new Error('headings ' + heads);
    const it = await dp.textContent(item + ' p');
    if (!/^Zurückgehalten \(insult, „.*“\) in #.* von @aiflow/.test(it)) throw new Error('item ' + it);
    const cols = await dp.$$eval('#ai-status th', (l) => l.map((h) => h.textContent));
    if (cols.join('|') !== 'Anbieter|Art|Modell|Standort|API-Schlüssel|Schutzschalter') throw new Error('columns ' + cols);
    const main = await dp.textContent('main');
    for (const de of ['Standardanbieter builtin', 'Einbettungen von builtin-hash-256',
      'Nachrichten warten auf ihre Einbettung', 'lokal', 'geschlossen',
      'Tagesbudgets:', 'Aktivster Kanal', 'Erste Antwort von jemand anderem: Median', 'Freigeben', 'Ablehnen'])
      if (!main.includes(de)) throw new Error('missing "' + de + '"');
    // the fixed texts alone: not the posts, table cells or recurring words
    const fixed = await dp.evaluate(() => {
      const c = document.getElementById('main').cloneNode(true);
      c.querySelectorAll('blockquote, td, #ai-insights p').forEach((e) => e.remove());
      return c.textContent;
    });
    for (const en of ['Approve', 'Reject', 'Provider', 'Daily budgets', 'Busiest', 'First reply', 'messages wait',
      'embeddings by',
      'Held', 'Moderation review', 'Insights', 'no limit', 'Today:'])
      if (fixed.includes(en)) throw new Error('English left: "' + en + '"');
    if ((await dp.title()).indexOf('KI') !== 0) throw new Error('title ' + await dp.title());
    await axe(dp, 'admin AI review [de]');
    await dp.click(item + ' button[data-decision=reject]');
    await dp.waitForSelector(item, { state: 'detached' });
    if (dErrors.length) throw new Error('script errors: ' + dErrors.join('; '));
  });
  await dctx.close();
};
