/* app.js: progressive enhancement for PlexiChat's server-rendered pages.
   Every page works without this file. With it: live updates from
   /api/v1/events (EventSource, falling back to long-poll), new, edited and
   deleted messages and reactions updated in place, unread badges, typing
   and presence, Markdown preview without a reload, Enter to send, and the
   service worker. Message HTML always comes from the server (the
   /c/{channel}/m/{id} fragment), so escaping stays in one place. */
'use strict';
(function () {
  const body = document.body;
  const main = document.querySelector('[data-channel-id]#main, main[data-channel-id]');
  const channelId = main ? main.dataset.channelId : null;
  const channelSlug = main ? main.dataset.channelSlug : null;
  const list = document.getElementById('messages');
  const typingEl = document.getElementById('typing');
  const liveEl = document.getElementById('live');
  const typers = new Map();

  function csrf() {
    const f = document.querySelector('input[name=csrf_token]');
    return f ? f.value : '';
  }

  function say(el, text) {
    if (el) el.textContent = text;
  }

  /* Fetches the server-rendered fragment of one message and puts it in
     place (replacing the old one, or appended when new). */
  async function refreshMessage(id, isNew) {
    if (!list || !channelSlug) return;
    const res = await fetch('/c/' + encodeURIComponent(channelSlug) + '/m/' + id,
      { credentials: 'same-origin', headers: { Accept: 'text/html' } });
    if (!res.ok) return;
    const tpl = document.createElement('template');
    tpl.innerHTML = (await res.text()).trim();
    const node = tpl.content.firstElementChild;
    if (!node) return;
    const old = document.getElementById('m' + id);
    if (old) {
      old.replaceWith(node);
    } else if (isNew) {
      const atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 80;
      node.classList.add('new');
      list.appendChild(node);
      const empty = document.getElementById('no-messages');
      if (empty) empty.remove();
      if (atBottom) node.scrollIntoView({ block: 'end' });
    }
  }

  function badge(chan, delta) {
    const link = document.querySelector('.sidebar a[data-channel-id="' + chan + '"]');
    if (!link) return;
    const b = link.querySelector('[data-badge]');
    if (!b) return;
    const n = Math.max(0, (parseInt(b.firstChild ? b.firstChild.textContent : '0', 10) || 0) + delta);
    if (b.firstChild && b.firstChild.nodeType === Node.TEXT_NODE) b.firstChild.textContent = String(n);
    else b.insertBefore(document.createTextNode(String(n)), b.firstChild);
    b.hidden = n === 0;
    link.parentElement.classList.toggle('unread', n > 0);
  }

  function showTyping() {
    if (!typingEl) return;
    const now = Date.now();
    const names = [];
    for (const [name, until] of typers) {
      if (until < now) typers.delete(name);
      else names.push(name);
    }
    typingEl.textContent = names.length ? names.join(', ') + ' ' + (typingEl.dataset.label || '') : '';
  }
  setInterval(showTyping, 2000);

  function field(d, ...names) {
    for (const n of names) {
      const parts = n.split('.');
      let v = d;
      for (const p of parts) v = v && typeof v === 'object' ? v[p] : undefined;
      if (v !== undefined && v !== null) return v;
    }
    return undefined;
  }

  /* One event from the stream or the long-poll answer. */
  function onEvent(type, d) {
    const chan = String(field(d, 'channel_id', 'message.channel_id', 'channel.id') || '');
    const mid = field(d, 'message_id', 'message.id', 'id');
    const here = chan && chan === String(channelId);
    switch (type) {
      case 'message.created':
      case 'message':
        if (here) refreshMessage(mid, true);
        else if (chan && String(field(d, 'author_id', 'message.author_id', 'user_id')) !== body.dataset.me) badge(chan, 1);
        break;
      case 'message.updated':
      case 'message.edited':
      case 'message.deleted':
      case 'message.pinned':
      case 'message.unpinned':
      case 'reaction.added':
      case 'reaction.removed':
      case 'reaction':
        if (here && mid) refreshMessage(mid, false);
        break;
      case 'typing': {
        const who = field(d, 'username', 'user.username');
        if (here && who && who !== body.dataset.meName) {
          typers.set(who, Date.now() + 6000);
          showTyping();
        }
        break;
      }
      case 'presence': {
        const uid = field(d, 'user_id', 'user.id');
        const online = field(d, 'online') === true || field(d, 'status') === 'online';
        document.querySelectorAll('[data-presence="' + uid + '"]').forEach((el) => {
          el.classList.toggle('on', online);
        });
        break;
      }
      case 'read':
        if (chan) badge(chan, -1e9);
        break;
      default:
        break;
    }
  }

  let lastId = main ? main.dataset.lastEvent || '' : '';

  function handleRaw(type, data, id) {
    if (id) lastId = id;
    let d = {};
    try { d = JSON.parse(data || '{}'); } catch (e) { return; }
    onEvent(type || d.type, d.data || d);
  }

  const TYPES = ['message', 'message.created', 'message.updated', 'message.edited', 'message.deleted',
    'message.pinned', 'message.unpinned', 'reaction', 'reaction.added', 'reaction.removed',
    'typing', 'presence', 'read'];

  function stream() {
    const url = '/api/v1/events' + (lastId ? '?after=' + encodeURIComponent(lastId) : '');
    const es = new EventSource(url, { withCredentials: true });
    let opened = false;
    TYPES.forEach((t) => es.addEventListener(t, (ev) => handleRaw(t, ev.data, ev.lastEventId)));
    es.onmessage = (ev) => handleRaw(null, ev.data, ev.lastEventId);
    es.onopen = () => { opened = true; say(liveEl, liveEl && liveEl.dataset.on); };
    es.onerror = () => {
      if (es.readyState === EventSource.CLOSED || !opened) {
        es.close();
        longPoll(0);
      }
    };
  }

  /* Long-poll fallback: asks for events after lastId, waiting up to 25 s,
     backing off after failures. */
  async function longPoll(failures) {
    try {
      const res = await fetch('/api/v1/events?poll=1&wait=25' + (lastId ? '&after=' + encodeURIComponent(lastId) : ''),
        { credentials: 'same-origin', headers: { Accept: 'application/json' } });
      if (!res.ok) throw new Error(String(res.status));
      const j = await res.json();
      (j.events || j.items || []).forEach((e) => handleRaw(e.type, JSON.stringify(e.data || e), e.id));
      if (j.last_id) lastId = String(j.last_id);
      say(liveEl, liveEl && liveEl.dataset.on);
      setTimeout(() => longPoll(0), 100);
    } catch (e) {
      say(liveEl, liveEl && liveEl.dataset.off);
      setTimeout(() => longPoll(failures + 1), Math.min(30000, 1000 * 2 ** failures));
    }
  }

  /* Composer: Enter sends, Shift+Enter adds a line; typing is announced at
     most every 4 s; Preview renders through the server without a reload. */
  function composer() {
    const form = document.getElementById('composer');
    if (!form) return;
    const ta = form.querySelector('textarea');
    const count = document.getElementById('count');
    let lastTyping = 0;
    ta.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        if (ta.value.trim()) form.requestSubmit(form.querySelector('button[value=send]'));
      }
    });
    ta.addEventListener('input', () => {
      if (count) count.textContent = String(Math.max(0, (parseInt(ta.maxLength, 10) || 16000) - ta.value.length));
      const now = Date.now();
      if (channelId && now - lastTyping > 4000) {
        lastTyping = now;
        fetch('/api/v1/channels/' + channelId + '/typing', {
          method: 'POST', credentials: 'same-origin',
          headers: { 'X-CSRF-Token': csrf(), 'Content-Type': 'application/json' }, body: '{}'
        }).catch(() => {});
      }
    });
    const pv = form.querySelector('button[value=preview]');
    const out = document.getElementById('preview');
    if (pv && out) {
      pv.addEventListener('click', async (ev) => {
        ev.preventDefault();
        const fd = new URLSearchParams(new FormData(form));
        fd.set('action', 'preview');
        fd.set('fragment', '1');
        const res = await fetch(form.action, { method: 'POST', credentials: 'same-origin', body: fd });
        if (res.ok) {
          out.innerHTML = await res.text();
          out.hidden = false;
        }
      });
    }
  }

  /* Older pages load on scroll to the top: the "Older messages" link's
     page is fetched and its messages put in front. */
  function olderOnScroll() {
    const more = document.getElementById('older');
    if (!more || !list || !('IntersectionObserver' in window)) return;
    const io = new IntersectionObserver(async (entries) => {
      if (!entries[0].isIntersecting || more.dataset.busy) return;
      more.dataset.busy = '1';
      const res = await fetch(more.href, { credentials: 'same-origin' });
      if (!res.ok) return;
      const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
      const items = doc.querySelectorAll('#messages > li');
      const h = document.documentElement.scrollHeight;
      const first = list.firstElementChild;
      items.forEach((li) => { if (!document.getElementById(li.id)) list.insertBefore(li, first); });
      window.scrollBy(0, document.documentElement.scrollHeight - h);
      const next = doc.getElementById('older');
      if (next) { more.href = next.href; delete more.dataset.busy; } else { io.disconnect(); more.remove(); }
    });
    io.observe(more);
  }

  if ('serviceWorker' in navigator && window.isSecureContext) {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {});
  }
  composer();
  olderOnScroll();
  if (body.dataset.live === '1' && 'fetch' in window) {
    if ('EventSource' in window) stream(); else longPoll(0);
  }
})();
