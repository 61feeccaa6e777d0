// flow-aistream.js: AI answers stream into the channel page. A local
// provider (tests/integration/ai_fake.py in "gate" mode: the OpenAI
// streaming fixture, which holds back its last piece until released) is
// made the default; the flow then summarises a channel and asks a question
// and checks that the first piece is on the page while the provider has
// not yet sent the last one, that the finished answer names provider and
// model, that the page was not reloaded, that the focus stayed on the
// control and that the script logged no error. Without JavaScript the same
// forms post to /c/<slug>/ai and the page comes back with the answer.
// Edits PX_CONFIG (the server reloads it) and restores it at the end.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { api, signIn, watch } = require('./util');

const FAKE_PY = path.join(__dirname, '..', 'integration', 'ai_fake.py');

function startFake(port) {
  return new Promise((resolve, reject) => {
    const p = spawn('python3', [FAKE_PY, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const t = setTimeout(() => reject(new Error('ai_fake.py did not start')), 10000);
    p.stdout.once('data', (d) => {
      clearTimeout(t);
      if (/ready/.test(String(d))) resolve(p); else reject(new Error('ai_fake.py: ' + d));
    });
    p.once('exit', (c) => reject(new Error('ai_fake.py exited ' + c)));
  });
}

const post = (url) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });

// Waits until every worker process reloaded the config: the status names
// provider as the default several times in a row.
async function waitDefault(BASE, admin, provider) {
  let ok = 0;
  for (let i = 0; i < 150 && ok < 8; i++) {
    const s = await api(BASE, 'GET', '/api/v1/admin/ai/status', admin).catch(() => ({}));
    ok = s.default_provider === provider ? ok + 1 : 0;
    if (ok < 8) await new Promise((r) => setTimeout(r, 200));
  }
  if (ok < 8) throw new Error('the server did not take ai_provider = ' + provider);
}

module.exports = async function ({ browser, BASE, check, axe }) {
  const conf = process.env.PX_CONFIG;
  if (!conf) {
    await check('AI streaming (needs PX_CONFIG)', async () => { throw new Error('PX_CONFIG unset'); });
    return;
  }
  const orig = fs.readFileSync(conf, 'utf8');
  // within the test's port range, apart from test_ai_providers' (+50)
  const port = Number(new URL(BASE).port) + 57;
  const FAKE = 'http://127.0.0.1:' + port;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'px-aistream-'));
  fs.chmodSync(dir, 0o755);
  const provFile = path.join(dir, 'providers.json');
  fs.writeFileSync(provFile, JSON.stringify({ providers: [{
    name: 'fake-stream', kind: 'openai', base_url: FAKE + '/openai/gate/v1', chat_model: 'gpt-fixture',
    local: 1, stream: 1, timeout_ms: 40000, retries: 0 }] }));
  fs.chmodSync(provFile, 0o644);
  const tag = crypto.randomBytes(3).toString('hex');
  const pw = 'Ai-Stream-' + tag + '-pass';
  const admin = (await api(BASE, 'POST', '/api/v1/auth/login', null,
    { username: 'admin', password: process.env.PX_ADMIN_PASSWORD || '' })).token;
  const code = (await api(BASE, 'POST', '/api/v1/admin/invites', admin, { role: 'member' })).code;
  const tok = (await api(BASE, 'POST', '/api/v1/auth/register', null,
    { username: 'aistream' + tag, password: pw, invite: code })).token;
  const ch = 'aistream-' + tag;
  const id = (await api(BASE, 'POST', '/api/v1/channels', tok, { kind: 'public', name: ch })).id;
  const m = (await api(BASE, 'POST', '/api/v1/channels/' + id + '/messages', tok,
    { body: 'The nightly backup of the wiki failed twice this week.' })).id;
  let fake = null;
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB' });
  const page = await ctx.newPage();
  const errors = [];
  watch(page, errors);
  try {
    fake = await startFake(port);
    fs.writeFileSync(conf, orig + '\nai_providers_file = ' + provFile + '\nai_provider = fake-stream\n');
    await waitDefault(BASE, admin, 'fake-stream');
    await signIn(page, BASE, 'aistream' + tag, pw);
    await page.goto(BASE + '/c/' + ch);

    // Streams into box while the fake holds back its last piece.
    const streams = async (label, box, start) => {
      await post(FAKE + '/_reset');
      await page.evaluate(() => { window.pxNoReload = 1; });
      await start();
      await page.waitForSelector(box + ' .ai-stream:has-text("FAKE-OPENAI-")', { timeout: 10000 });
      const early = await page.textContent(box);
      if (/STREAM/.test(early)) throw new Error(label + ': the last piece was there before it was sent: ' + early);
      const pending = await page.textContent(box + ' .ai-marker.ai-pending');
      if (!/^AI-generated · fake-stream/.test(pending)) throw new Error(label + ': marker while streaming: ' + pending);
      const log = await (await fetch(FAKE + '/_log')).json();
      if (log.some((x) => x.path === '/_released')) throw new Error(label + ': the fake was released already');
      await post(FAKE + '/_release');
      await page.waitForSelector(box + ' .ai-marker:not(.ai-pending)', { timeout: 15000 });
      const marker = await page.textContent(box + ' .ai-marker');
      if (!/^AI-generated · fake-stream · gpt-fixture\./.test(marker)) throw new Error(label + ': marker ' + marker);
      const t = await page.textContent(box);
      if (!/FAKE-OPENAI-STREAM/.test(t)) throw new Error(label + ': answer ' + t);
      if (!(await page.evaluate(() => window.pxNoReload === 1))) throw new Error(label + ': the page was reloaded');
      if (errors.length) throw new Error(label + ': script errors: ' + errors.join('; '));
    };

    await check('AI: a channel summary streams into the page', async () => {
      const btn = 'button.ai-summarise:has-text("Summarise channel")';
      await streams('summary', '#ai-channel-summary', () => page.click(btn));
      const focus = await page.evaluate(() => document.activeElement && document.activeElement.className);
      if (!/ai-summarise/.test(focus)) throw new Error('focus moved to: ' + focus);
      const links = await page.$$eval('#ai-channel-summary a.ai-source', (l) => l.map((a) => a.getAttribute('href')));
      if (links.join() !== '#m' + m) throw new Error('links: ' + links);
    });
    await check('AI: an answer to a question streams into the page', async () => {
      await page.fill('#ai-question', 'why did the wiki backup fail');
      await streams('ask', '#ai-ask-answer', () => page.press('#ai-question', 'Enter'));
      const focus = await page.evaluate(() => document.activeElement && document.activeElement.id);
      if (focus !== 'ai-question') throw new Error('focus moved to: ' + focus);
      await axe(page, 'channel with a streamed AI answer');
    });

    const nojs = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 800 },
      locale: 'en-GB' });
    const np = await nojs.newPage();
    await check('AI: summarise and ask without JavaScript', async () => {
      await signIn(np, BASE, 'aistream' + tag, pw);
      await np.goto(BASE + '/c/' + ch);
      await post(FAKE + '/_release');   // the answer is not streamed: let it through at once
      await Promise.all([np.waitForNavigation(), np.click('button.ai-summarise')]);
      const marker = await np.textContent('#ai-channel-summary .ai-marker');
      if (!/^AI-generated · fake-stream · gpt-fixture\./.test(marker)) throw new Error('marker ' + marker);
      const href = await np.getAttribute('#ai-channel-summary a.ai-source', 'href');
      if (href !== '/c/' + id + '?after=' + (m - 1) + '#m' + m) throw new Error('link ' + href);
      await np.fill('#ai-question', 'wiki backup');
      await post(FAKE + '/_release');
      await Promise.all([np.waitForNavigation(), np.press('#ai-question', 'Enter')]);
      const t = await np.textContent('#ai-ask-answer');
      if (!/FAKE-OPENAI-STREAM/.test(t) || !/AI-generated · fake-stream/.test(t)) throw new Error('answer ' + t);
      if ((await np.inputValue('#ai-question')) !== 'wiki backup') throw new Error('question not kept');
    });
    await nojs.close();
  } finally {
    await ctx.close();
    fs.writeFileSync(conf, orig);
    await waitDefault(BASE, admin, 'builtin').catch((e) => console.log('restore: ' + e.message));
    if (fake) fake.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
};
