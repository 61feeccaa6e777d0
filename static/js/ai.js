/* ai.js: the AI parts of the web UI, progressive enhancement over the API
 * (/api/v1/ai, docs/AI.md): the channel page's Summarise and Ask forms
 * (which post to /c/<slug>/ai without JavaScript) get their answers
 * streamed into the page as the provider writes them; the moderation
 * review queue, status and insights on /admin/ai; the AI consent in
 * Settings. Every answer is shown as made by AI, with the provider and
 * model the server names. Text is set with textContent only. */
(function () {
  'use strict';

  function csrf() {
    const f = document.querySelector('input[name=csrf_token]');
    return f ? f.value : '';
  }

  async function api(method, path, body) {
    const res = await fetch(path, {
      method, credentials: 'same-origin',
      headers: { 'X-CSRF-Token': csrf(), 'Content-Type': 'application/json', Accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body) });
    let j = null;
    try { j = await res.json(); } catch (e) { j = null; }
    if (!res.ok) throw new Error((j && j.message) || ('HTTP ' + res.status));
    return j;
  }

  /* A UI text in the page's language (part/rich_strings.mustache, the
     data-t-* attributes of the admin page's main element or of the
     Settings page's AI section), or the English one where the page has
     none; fmt fills its {name} places. */
  function tr(key, english) {
    for (const id of ['px-rich', 'main', 'ai-settings']) {
      const r = document.getElementById(id);
      const v = r && r.dataset['t' + key];
      if (v) return v;
    }
    return english;
  }
  function fmt(s, vals) {
    return s.replace(/\{(\w+)\}/g, (m, k) => (k in vals ? String(vals[k]) : m));
  }

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, v));
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /* The answer box: points with links to their sources, and the marker. */
  function render(box, label, j, field) {
    box.replaceChildren();
    box.appendChild(el('h2', {}, label));
    const ul = el('ul', { class: 'ai-points' });
    (j.points || []).forEach((p) => {
      const li = el('li', {}, p.text.replace(/\s*\[#\d+\]/g, '') + ' ');
      p.sources.forEach((s) => {
        const a = el('a', { href: '#m' + s.message_id, class: 'ai-source',
                            'data-message-id': String(s.message_id) }, '#' + s.message_id);
        li.appendChild(a);
        li.appendChild(document.createTextNode(' '));
      });
      ul.appendChild(li);
    });
    if (!ul.children.length) ul.appendChild(el('li', {}, j[field] || ''));
    box.appendChild(ul);
    const m = j.ai || {};
    box.appendChild(el('p', { class: 'ai-marker', 'data-provider': m.provider || '',
                              'data-model': m.model || '' },
      tr('AiGenerated', 'AI-generated') + ' · ' + (m.provider || '?') + ' · ' + (m.model || '?') + '. ' + (m.notice || '')));
  }

  function answerBox(after, id) {
    let box = document.getElementById(id);
    if (!box) {
      box = el('section', { id, class: 'ai-answer', 'aria-live': 'polite', tabindex: '-1' });
      after.insertAdjacentElement('afterend', box);
    }
    return box;
  }

  /* One SSE block ("event: x\ndata: {...}") as [event, data]. */
  function sseBlock(block) {
    let ev = 'message';
    const data = [];
    block.split('\n').forEach((line) => {
      if (line.startsWith('event:')) ev = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    });
    return [ev, data.join('\n')];
  }

  /* Asks the API for a streamed answer ("stream": true) and fills box as
     the pieces arrive: the text grows in a paragraph under a line marking
     it as AI-made with the provider; "done" replaces it with the whole
     answer (points, links, the marker with provider and model). A refusal
     before the first piece is an ordinary JSON error. */
  async function streamed(box, label, path, body, field) {
    const res = await fetch(path, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'X-CSRF-Token': csrf(), 'Content-Type': 'application/json', Accept: 'text/event-stream' },
      body: JSON.stringify(Object.assign({ stream: true }, body)) });
    if (!(res.headers.get('Content-Type') || '').startsWith('text/event-stream') || !res.body) {
      let j = null;
      try { j = await res.json(); } catch (e) { j = null; }
      if (!res.ok || !j) throw new Error((j && j.message) || ('HTTP ' + res.status));
      render(box, label, j, field);
      return;
    }
    const text = el('p', { class: 'ai-stream' });
    const marker = el('p', { class: 'ai-marker ai-pending' }, tr('AiGenerated', 'AI-generated') + ' …');
    box.replaceChildren(el('h2', {}, label), text, marker);
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    let buf = '', ended = false;
    const handle = (block) => {
      const [ev, data] = sseBlock(block);
      if (!data) return;
      const j = JSON.parse(data);
      if (ev === 'delta') {
        if (j.ai && j.ai.provider) {
          marker.textContent = tr('AiGenerated', 'AI-generated') + ' · ' + j.ai.provider + ' …';
          marker.setAttribute('data-provider', j.ai.provider);
        }
        text.appendChild(document.createTextNode(j.text || ''));
      } else if (ev === 'done') {
        ended = true;
        render(box, label, j, field);
      } else if (ev === 'error') {
        ended = true;
        throw new Error(j.message || j.error_code || 'error');
      }
    };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true }).replace(/\r\n/g, '\n');
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        handle(block);
      }
    }
    if (buf.trim()) handle(buf);
    if (!ended) throw new Error(tr('AiCut', 'The answer was cut off.'));
  }

  /* Takes over one of the page's AI forms (they post to /c/<slug>/ai
     without JavaScript): the answer streams into its box under the
     channel header, and the focus stays where it was. */
  function enhance(form, cid) {
    const task = form.querySelector('input[name=task]').value;
    const thread = form.querySelector('input[name=thread_id]');
    const question = form.querySelector('input[name=question]');
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (question && !question.value.trim()) return;
      const after = form.closest('.chanhead') || form;
      const box = answerBox(after, form.dataset.box);
      const ask = task === 'ask';
      const label = ask ? tr('AiAnswer', 'Answer') : tr('AiSummary', 'Summary');
      box.setAttribute('aria-busy', 'true');
      box.textContent = ask ? tr('AiSearching', 'Searching…') : tr('AiSummarising', 'Summarising…');
      try {
        if (ask) await streamed(box, label, '/api/v1/ai/ask', { question: question.value }, 'answer');
        else await streamed(box, label, '/api/v1/ai/channels/' + cid + '/summary',
          thread ? { thread_id: Number(thread.value) } : { unread_only: false }, 'summary');
      } catch (err) {
        box.appendChild(el('p', { role: 'alert', class: 'error' }, err.message));
      }
      box.setAttribute('aria-busy', 'false');
    });
  }

  async function review(root) {
    const list = root.querySelector('#ai-review');
    async function load() {
      list.replaceChildren();
      const j = await api('GET', '/api/v1/admin/ai/review?limit=200');
      if (!j.items.length) list.appendChild(el('li', {}, tr('AiReviewNone', 'Nothing waits for review.')));
      j.items.forEach((it) => {
        const li = el('li', { class: 'ai-review-item', 'data-review-id': String(it.id) });
        li.appendChild(el('p', {}, fmt(tr('AiReviewItem', '{action} ({category}, “{match}”) in #{channel} by @{author}'), {
          action: it.action === 'hold' ? tr('AiHeld', 'Held') : tr('AiFlagged', 'Flagged'),
          category: it.category, match: it.match, channel: it.channel || it.channel_id, author: it.author || '?' })));
        li.appendChild(el('blockquote', {}, it.body));
        ['approve', 'reject'].forEach((d) => {
          const b = el('button', { type: 'button', class: d === 'approve' ? '' : 'secondary',
                                   'data-decision': d },
                       d === 'approve' ? tr('AiApprove', 'Approve') : tr('AiReject', 'Reject'));
          b.addEventListener('click', async () => {
            try {
              await api('POST', '/api/v1/admin/ai/review/' + it.id, { decision: d });
              li.remove();
            } catch (err) {
              li.appendChild(el('p', { role: 'alert' }, err.message));
            }
          });
          li.appendChild(b);
        });
        list.appendChild(li);
      });
    }
    try { await load(); } catch (err) { list.appendChild(el('li', { role: 'alert' }, err.message)); }
  }

  function table(head, rows) {
    const wrap = el('div', { class: 'tablewrap', tabindex: '0' });
    const t = el('table', { class: 'data' });
    const tr = el('tr');
    head.forEach((h) => tr.appendChild(el('th', { scope: 'col' }, h)));
    t.appendChild(el('thead')).appendChild(tr);
    const tb = el('tbody');
    rows.forEach((r) => {
      const row = el('tr');
      r.forEach((c) => row.appendChild(el('td', {}, String(c))));
      tb.appendChild(row);
    });
    t.appendChild(tb);
    wrap.appendChild(t);
    return wrap;
  }

  function budgetText(u, b) {
    const lim = (v) => (v ? String(v) : tr('AiNoLimit', 'no limit'));
    return fmt(tr('AiBudgetText', 'Today: {user} tokens by you, {instance} by the instance (cost {cost}). ' +
      'Daily budgets: {bu} tokens per user, {bc} per channel, {bi} per instance.'), {
      user: u.user_tokens, instance: u.instance_tokens, cost: Number(u.instance_cost).toFixed(4),
      bu: lim(b.user_tokens), bc: lim(b.channel_tokens), bi: lim(b.instance_tokens) });
  }

  const BREAKER = { closed: ['AiBreakerClosed', 'closed'], open: ['AiBreakerOpen', 'open'],
                    half_open: ['AiBreakerHalfOpen', 'half open'] };

  async function adminStatus(root) {
    const box = root.querySelector('#ai-status'), ins = root.querySelector('#ai-insights');
    try {
      const s = await api('GET', '/api/v1/admin/ai/status');
      box.appendChild(el('p', {}, (s.enabled ? tr('AiStateOn', 'AI on') : tr('AiStateOff', 'AI off')) + '; ' +
        fmt(tr('AiDefaultProvider', 'default provider {provider}'), { provider: s.default_provider }) +
        (s.local_only ? '; ' + tr('AiLocalOnly', 'local providers only') : '') + '; ' +
        fmt(tr('AiEmbedModel', 'embeddings by {model}'), { model: s.embed_model }) + '; ' +
        fmt(tr('AiEmbedQueue', '{n} messages wait for embedding.'), { n: s.embed_queue })));
      box.appendChild(table([tr('AiColProvider', 'Provider'), tr('AiColKind', 'Kind'), tr('AiColModel', 'Model'),
        tr('AiColWhere', 'Location'), tr('AiColKey', 'API key'), tr('AiColBreaker', 'Circuit breaker')],
        s.providers.map((p) => [p.name, p.kind, p.chat_model,
          p.remote ? tr('AiRemote', 'remote') : tr('AiLocal', 'local'),
          p.has_key ? tr('AiKeySet', 'set') : '–',
          BREAKER[p.breaker] ? tr(BREAKER[p.breaker][0], BREAKER[p.breaker][1]) : p.breaker])));
      box.appendChild(el('p', {}, budgetText(s.usage_today, s.budgets)));
      const i = await api('GET', '/api/v1/admin/ai/insights?days=30');
      ins.appendChild(table([tr('AiColBusiest', 'Busiest channel'), tr('AiMessages', 'Messages')],
        i.busiest_channels.map((c) => [c.name || ('#' + c.id), c.messages])));
      ins.appendChild(el('p', {}, fmt(tr('AiInsightsText', 'First reply by someone else: median {median} s, ' +
        '90th percentile {p90} s over {threads} threads. Recurring words: {words}.'), {
        median: i.response_times.median_seconds, p90: i.response_times.p90_seconds,
        threads: i.response_times.threads, words: i.topics.map((t) => t.word).join(', ') })));
    } catch (err) {
      box.appendChild(el('p', { role: 'alert' }, err.message));
    }
  }

  async function userSettings(sec) {
    try {
      const s = await api('GET', '/api/v1/ai/settings');
      sec.appendChild(el('h2', { id: 'ai-settings-h' }, tr('AiSettingsH', 'AI')));
      const id = 'ai-remote-ok';
      const box = el('input', { type: 'checkbox', id });
      box.checked = !!s.remote_ok;
      const row = el('div');
      row.append(box, el('label', { for: id }, ' ' + tr('AiRemoteConsent', 'My messages in DMs and ' +
        'private channels may go to a remote AI provider where their channel allows it')));
      sec.appendChild(row);
      const note = el('p', { class: 'help', 'aria-live': 'polite' }, budgetText(s.usage_today, s.budgets) +
        ' ' + fmt(tr('AiSettingsProvider', 'Default provider: {provider}.'), { provider: s.default_provider }));
      sec.appendChild(note);
      box.addEventListener('change', async () => {
        try {
          await api('PUT', '/api/v1/ai/settings', { remote_ok: box.checked });
          note.textContent = tr('AiSaved', 'Saved.');
        } catch (err) {
          note.textContent = err.message;
        }
      });
      sec.hidden = false;
    } catch (err) {
      /* AI off: the section stays hidden */
    }
  }

  function init() {
    const aiSettings = document.getElementById('ai-settings');
    if (aiSettings) { userSettings(aiSettings); return; }
    const main = document.getElementById('main');
    if (!main) return;
    if (main.dataset.aiReview !== undefined) { review(main); adminStatus(main); return; }
    const cid = main.dataset.channelId;
    if (!cid) return;
    document.querySelectorAll('form.ai-form, form.ai-ask').forEach((f) => enhance(f, cid));
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
}());
