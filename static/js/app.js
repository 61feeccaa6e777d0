/* app.js: progressive enhancement for PlexiChat's server-rendered pages.
   Every page works without this file. With it: live updates from
   a WebSocket (static/js/ws.js) or /api/v1/events (EventSource with
   Last-Event-ID resume, falling back to the long-poll form ?after=N&wait=25), new, edited and deleted messages
   and reactions put in place, unread and mention badges, typing notices and
   presence dots, sending and Markdown preview without a reload, Enter to
   send, attachments (button, drag and drop, paste) uploaded with a
   progress bar each, an image viewer, older messages on scroll, and the
   service worker; the chat view of issue 16: messages of one author
   grouped, the first unread one shown, new messages announced in a polite
   live region, edit in place (the no-JS edit page's own form), delete with
   a few seconds to undo, and keyboard shortcuts (Ctrl/Cmd+K switcher,
   Alt+Up/Down, Esc marks read, Up edits one's last message). Message HTML
   always comes from the server (the /c/{channel}/m/{id} fragment), so
   escaping stays in one place.
   Event contract (docs/API.md, handlers/events.c): each event is
   {id, type, channel_id, at, data}; types message.created|updated|deleted
   (data: the message), reaction.added|removed (data.message_id),
   member.*, channel.updated, notification.created; "typing" frames carry
   no id and {channel_id, user}; "reset" means the log was pruned. */
'use strict';
(function () {
  const body = document.body;
  const me = body.dataset.me || '';
  const main = document.querySelector('main[data-channel-id]');
  const channelId = main ? main.dataset.channelId : null;
  const slug = main ? main.dataset.channelSlug : null;
  const list = document.getElementById('messages');
  const replies = document.getElementById('replies');
  const thread = document.getElementById('thread');
  const threadId = thread ? thread.dataset.threadId : null;
  const typingEl = document.getElementById('typing');
  const scroller = document.getElementById('scroller');
  const announceEl = document.getElementById('announce');
  const T = main ? main.dataset : {};
  const liveEl = document.getElementById('live');
  const typers = new Map();
  let lastId = (main || document.querySelector('main[data-last-event]') || body).dataset.lastEvent || '';

  function csrf() {
    const f = document.querySelector('input[name=csrf_token]');
    return f ? f.value : '';
  }

  function live(on) {
    if (liveEl) liveEl.textContent = on ? liveEl.dataset.on : liveEl.dataset.off;
  }

  /* The list is a column-reverse scroller: scrollTop 0 is the newest
     message and grows negative upwards. */
  function atBottom() {
    if (!scroller) return true;
    return Math.abs(scroller.scrollTop) < 120;
  }

  /* Groups a message just put at the end of a list with the one before,
     as the server does (same author and day, within five minutes). */
  function group(node) {
    const prev = node.previousElementSibling;
    const t = node.querySelector('.meta time');
    const pt = prev ? prev.querySelector('.meta time') : null;
    if (!prev || !t || !pt || prev.classList.contains('deleted') || node.classList.contains('deleted')) return;
    if (prev.dataset.author !== node.dataset.author || prev.dataset.day !== node.dataset.day) return;
    if (Date.parse(t.dateTime) - Date.parse(pt.dateTime) > 300000) return;
    node.classList.add('grouped');
    t.textContent = t.dateTime.slice(11, 16);
    const av = node.querySelector(':scope > .avatar');
    if (av) av.remove();
  }

  /* Says a new message of someone else through the polite live region. */
  function announce(node) {
    if (!announceEl || !node || node.dataset.author === me) return;
    const who = node.querySelector('.meta .name');
    const text = node.querySelector('.body');
    announceEl.textContent = (T.tAnnounce || '') + ' ' + (who ? who.textContent : '') + ': ' +
      (text ? text.textContent.trim().slice(0, 160) : '');
  }

  /* Fetches the fragment of message id and puts it in place: replacing
     the shown one, or (when add) appended to the list it belongs in. */
  async function refresh(id, add, into) {
    if (!slug) return;
    const res = await fetch('/c/' + encodeURIComponent(slug) + '/m/' + id,
      { credentials: 'same-origin', headers: { Accept: 'text/html' } });
    if (!res.ok) return;
    const tpl = document.createElement('template');
    tpl.innerHTML = (await res.text()).trim();
    const node = tpl.content.firstElementChild;
    if (!node) return;
    document.querySelectorAll('#m' + id).forEach((old) => {
      /* an edit in progress is kept; the save fetches the message again */
      if (old.querySelector('form.inline-edit')) return;
      const fresh = node.cloneNode(true);
      /* what the reader had open (menu, delete question) stays open,
         a message waiting for its undo stays hidden, focus stays put */
      ['details.acts', 'details.confirm'].forEach((sel) => {
        const o = old.querySelector(sel), n = fresh.querySelector(sel);
        if (o && n && o.open) n.open = true;
      });
      fresh.hidden = old.hidden;
      const focused = old.contains(document.activeElement) ? document.activeElement : null;
      old.replaceWith(fresh);
      group(fresh);
      if (focused && focused.matches('summary')) {
        const again = fresh.querySelector(focused.parentElement.matches('.confirm')
          ? 'details.confirm > summary' : 'details.acts > summary');
        if (again) again.focus();
      }
    });
    if (add && into && !into.querySelector('#m' + id)) {
      const follow = atBottom();
      node.classList.add('new');
      into.appendChild(node);
      group(node);
      const empty = document.getElementById('no-messages');
      if (empty) empty.remove();
      if (follow && scroller) scroller.scrollTop = 0;
      announce(node);
    }
  }

  function badge(chan, attr, delta) {
    const link = document.querySelector('.sidebar a[data-channel-id="' + chan + '"]');
    const b = link && link.querySelector('[' + attr + ']');
    if (!b) return;
    const t = b.firstChild && b.firstChild.nodeType === Node.TEXT_NODE ? b.firstChild : null;
    const old = t ? parseInt(t.textContent.replace('@', ''), 10) || 0 : 0;
    const n = delta === null ? 0 : Math.max(0, old + delta);
    const text = (attr === 'data-mentions' ? '@' : '') + n;
    if (t) t.textContent = text; else b.insertBefore(document.createTextNode(text), b.firstChild);
    b.hidden = n === 0;
    if (attr === 'data-badge') link.parentElement.classList.toggle('unread', n > 0);
  }

  let readTimer = null;
  function markRead(mid) {
    if (!channelId || document.hidden || !main.dataset.atLatest) return;
    clearTimeout(readTimer);
    readTimer = setTimeout(() => {
      /* over the WebSocket when one is open (static/js/ws.js) */
      if (window.pxWs && window.pxWs.send({ type: 'read', channel_id: Number(channelId), message_id: Number(mid) })) return;
      fetch('/api/v1/channels/' + channelId + '/read-marker', {
        method: 'PUT', credentials: 'same-origin',
        headers: { 'X-CSRF-Token': csrf(), 'Content-Type': 'application/json' },
        body: JSON.stringify({ message_id: Number(mid) }),
      }).catch(() => {});
    }, 800);
  }

  /* Moves the read marker to the newest message shown, now (Esc). */
  function readNow() {
    const last = list ? list.querySelector('li.msg:last-of-type') : null;
    if (!channelId || !last) return;
    fetch('/api/v1/channels/' + channelId + '/read-marker', {
      method: 'PUT', credentials: 'same-origin',
      headers: { 'X-CSRF-Token': csrf(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ message_id: Number(last.dataset.id) }),
    }).catch(() => {});
    badge(channelId, 'data-badge', null);
    const line = document.getElementById('unread-line');
    if (line) line.remove();
  }

  function online(uid) {
    document.querySelectorAll('[data-presence="' + uid + '"]').forEach((el) => {
      el.classList.add('on');
      el.dataset.seen = String(Date.now());
    });
  }

  function showTyping() {
    if (!typingEl) return;
    const now = Date.now(), names = [];
    for (const [name, until] of typers) {
      if (until < now) typers.delete(name); else names.push(name);
    }
    typingEl.textContent = names.length ? names.join(', ') + ' ' + (typingEl.dataset.label || '') : '';
  }
  setInterval(showTyping, 2000);

  /* One event, from the stream or a long-poll answer. */
  function onEvent(type, ev) {
    document.dispatchEvent(new CustomEvent('px:event', { detail: { type, ev } })); /* h-uirich: notify.js */
    const d = ev.data || {};
    const chan = String(ev.channel_id || d.channel_id || '');
    const here = chan !== '' && chan === String(channelId);
    const author = d.author ? String(d.author.id) : '';
    switch (type) {
      case 'message.created':
        if (author) online(author);
        if (here && d.thread_root_id) {
          if (String(d.thread_root_id) === threadId) refresh(d.id, true, replies);
          refresh(d.thread_root_id, false);
        } else if (here) {
          if (main.dataset.atLatest) { refresh(d.id, true, list); markRead(d.id); }
        } else if (chan && author !== me && !d.thread_root_id) {
          badge(chan, 'data-badge', 1);
        }
        break;
      case 'message.updated':
      case 'message.deleted':
        if (here) refresh(d.id, false);
        break;
      case 'reaction.added':
      case 'reaction.removed':
        if (here && d.message_id) refresh(d.message_id, false);
        break;
      case 'notification.created':
        if (chan && !here) badge(chan, 'data-mentions', 1);
        break;
      case 'typing': {
        const u = d.user || ev.user || {};
        const c = String(ev.channel_id || '');
        if (u.id) online(u.id);
        if (c === String(channelId) && String(u.id) !== me) {
          typers.set(u.display_name || u.username, Date.now() + 6000);
          showTyping();
        }
        break;
      }
      case 'reset':
        window.location.reload();
        break;
      default:
        break;
    }
  }

  function frame(type, data, id) {
    if (id) lastId = id;
    let ev;
    try { ev = JSON.parse(data || '{}'); } catch (e) { return; }
    onEvent(type || ev.type, ev);
  }

  const TYPES = ['message.created', 'message.updated', 'message.deleted', 'reaction.added',
    'reaction.removed', 'notification.created', 'member.joined', 'member.left',
    'member.updated', 'channel.updated', 'typing', 'reset'];

  /* SSE: EventSource resends Last-Event-ID itself when it reconnects; the
     first connection resumes from the event the page was rendered at. */
  function stream() {
    const url = '/api/v1/events' + (lastId && lastId !== '0' ? '?last_event_id=' + encodeURIComponent(lastId) : '');
    const es = new EventSource(url, { withCredentials: true });
    let opened = false;
    TYPES.forEach((t) => es.addEventListener(t, (m) => frame(t, m.data, m.lastEventId)));
    es.onopen = () => { opened = true; live(true); };
    es.onerror = () => {
      live(false);
      if (!opened || es.readyState === EventSource.CLOSED) {
        es.close();
        longPoll(0);
      }
    };
  }

  /* Long-poll: events after lastId, waiting up to 25 s; backs off after
     failures; a 410 (log pruned) reloads the page. */
  async function longPoll(failures) {
    try {
      const res = await fetch('/api/v1/events?wait=25&after=' + encodeURIComponent(lastId || '0'),
        { credentials: 'same-origin', headers: { Accept: 'application/json' } });
      if (res.status === 410) { window.location.reload(); return; }
      if (!res.ok) throw new Error(String(res.status));
      const j = await res.json();
      (j.events || []).forEach((e) => { lastId = String(e.id); onEvent(e.type, e); });
      if (j.last_event_id !== undefined) lastId = String(j.last_event_id);
      live(true);
      setTimeout(() => longPoll(0), 50);
    } catch (e) {
      live(false);
      setTimeout(() => longPoll(failures + 1), Math.min(30000, 1000 * 2 ** failures));
    }
  }

  /* Presence: dots turn on with activity seen live, and the channel's
     member list is asked again every minute. */
  async function presence() {
    if (!channelId) return;
    try {
      const res = await fetch('/api/v1/channels/' + channelId + '/members', { credentials: 'same-origin' });
      if (!res.ok) return;
      const j = await res.json();
      let n = 0;
      (j.members || j || []).forEach((m) => {
        /* the viewer is looking at the page: online, as the server counts */
        const on = m.presence === 'online' || String(m.id) === me;
        n += on ? 1 : 0;
        document.querySelectorAll('[data-presence="' + m.id + '"]').forEach((el) => {
          el.classList.toggle('on', on);
        });
      });
      const count = document.querySelector('[data-online-count]');
      if (count) count.textContent = String(n);
    } catch (e) { /* next round */ }
  }

  /* A form's own URL: form.action would be its buttons named "action". */
  function target(form) {
    return form.getAttribute('action');
  }

  /* The composer posts multipart/form-data, like the plain form: text
     fields only (files went up already), so all of them fall within the
     first bytes the server's firewall reads. */
  function post(form, extra) {
    const fd = new FormData(form);
    fd.delete('files');
    Object.keys(extra).forEach((k) => fd.set(k, extra[k]));
    return fetch(target(form), { method: 'POST', credentials: 'same-origin', body: fd,
      headers: { Accept: 'text/html' } });
  }

  function human(n) {
    const units = ['B', 'KB', 'MB', 'GB'];
    let i = 0;
    while (n >= 1024 && i < 3) { n /= 1024; i++; }
    const f = new Intl.NumberFormat(document.documentElement.lang || undefined,
      { maximumFractionDigits: i && n < 10 ? 1 : 0 });
    return f.format(n) + ' ' + units[i];
  }

  /* A composer's attachments: files chosen with the button, dropped on
     the channel or pasted go up at once to POST /api/v1/files as drafts
     (XMLHttpRequest, for its upload progress), each with a progress bar
     and a remove button; the form then carries their ids as file_ids.
     Errors are announced in the form's status region with the message of
     the API's error answer. */
  function attachments(form) {
    const input = form.querySelector('input[type=file][name=files]');
    const listEl = form.querySelector('[data-attached]');
    const status = form.querySelector('[data-upload-status]');
    const hint = form.querySelector('[data-dnd-hint]');
    const t = form.dataset;
    const pending = new Set();
    if (!input || !listEl || !status || !('FormData' in window)) return null;
    if (hint) hint.hidden = false;

    function say(text) { status.textContent = text; }
    function count() {
      return Array.from(listEl.children).filter((li) => {
        const box = li.querySelector('input[type=checkbox]');
        return !box || box.checked;
      }).length;
    }
    function tidy() { listEl.hidden = listEl.children.length === 0; }

    function add(file) {
      if (count() >= 10) { say(file.name + ': ' + t.tTooMany); return; }
      const li = document.createElement('li');
      li.className = 'att';
      const name = document.createElement('bdi');
      name.className = 'fname';
      name.textContent = file.name;
      const size = document.createElement('span');
      size.className = 'fsize';
      size.textContent = human(file.size);
      const bar = document.createElement('progress');
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute('aria-label', t.tUploading + ' ' + file.name);
      const rm = document.createElement('button');
      rm.type = 'button';
      rm.className = 'secondary';
      rm.textContent = t.tRemove;
      const vh = document.createElement('span');
      vh.className = 'vh';
      vh.textContent = ' ' + file.name;
      rm.appendChild(vh);
      li.append(name, size, bar, rm);
      listEl.appendChild(li);
      tidy();
      const xhr = new XMLHttpRequest();
      let id = null, finished = false;
      const done = new Promise((resolve) => {
        xhr.upload.onprogress = (e) => {
          if (e.lengthComputable) bar.value = Math.round((e.loaded * 100) / e.total);
        };
        xhr.onload = () => {
          let j = null;
          try { j = JSON.parse(xhr.responseText); } catch (e) { j = null; }
          if (xhr.status === 201 && j && j.id) {
            id = String(j.id);
            bar.value = 100;
            bar.setAttribute('aria-label', t.tUploaded + ' ' + file.name);
            const keep = document.createElement('input');
            keep.type = 'hidden';
            keep.name = 'file_ids';
            keep.value = id;
            li.appendChild(keep);
            li.dataset.fileId = id;
          } else {
            li.remove();
            tidy();
            say(file.name + ': ' + ((j && j.message) || t.tFailed));
          }
          resolve();
        };
        xhr.onerror = () => { li.remove(); tidy(); say(file.name + ': ' + t.tFailed); resolve(); };
        xhr.onabort = () => resolve();
      });
      done.then(() => { finished = true; pending.delete(done); });
      pending.add(done);
      rm.addEventListener('click', () => {
        if (!finished) xhr.abort();
        else if (id) {
          fetch('/api/v1/files/' + id, { method: 'DELETE', credentials: 'same-origin',
            headers: { 'X-CSRF-Token': csrf(), Accept: 'application/json' } }).catch(() => {});
        }
        li.remove();
        tidy();
        form.querySelector('textarea').focus();
      });
      const fd = new FormData();
      fd.append('file', file, file.name);
      xhr.open('POST', '/api/v1/files');
      xhr.setRequestHeader('X-CSRF-Token', csrf());
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.send(fd);
    }

    function addAll(files) {
      say('');
      Array.from(files || []).forEach(add);
    }
    input.addEventListener('change', () => { addAll(input.files); input.value = ''; });
    form.addEventListener('paste', (ev) => {
      const files = ev.clipboardData ? Array.from(ev.clipboardData.files) : [];
      if (!files.length) return;
      ev.preventDefault();
      addAll(files);
    });
    return {
      addAll: addAll,
      has: () => count() > 0,
      wait: () => Promise.all(Array.from(pending)),
      clear: () => { listEl.textContent = ''; tidy(); say(''); },
    };
  }

  /* Files dropped on the channel (or its thread panel) go to the composer
     there. */
  function dropTarget(area, att) {
    let depth = 0;
    const hasFiles = (ev) => ev.dataTransfer && Array.from(ev.dataTransfer.types || []).includes('Files');
    area.addEventListener('dragenter', (ev) => {
      if (!hasFiles(ev)) return;
      depth++;
      area.classList.add('dropping');
    });
    area.addEventListener('dragleave', () => {
      depth = Math.max(0, depth - 1);
      if (!depth) area.classList.remove('dropping');
    });
    area.addEventListener('dragover', (ev) => {
      if (!hasFiles(ev)) return;
      ev.preventDefault();
      ev.dataTransfer.dropEffect = 'copy';
    });
    area.addEventListener('drop', (ev) => {
      depth = 0;
      area.classList.remove('dropping');
      if (!ev.dataTransfer || !ev.dataTransfer.files || !ev.dataTransfer.files.length) return;
      ev.preventDefault();
      ev.stopPropagation();
      att.addAll(ev.dataTransfer.files);
    });
  }

  /* Composers: Enter sends (Shift+Enter: new line); sending and preview
     happen without a reload; typing is announced at most every 4 s. A
     failed send falls back to the plain form post, which shows why. */
  function composer(form) {
    const ta = form.querySelector('textarea');
    const count = form.querySelector('.count');
    const out = form.querySelector('.preview');
    const att = attachments(form);
    let lastTyping = 0, busy = false;
    if (att) dropTarget(form.closest('aside') || main || form, att);
    ta.addEventListener('keydown', (ev) => {
      if (ev.key === 'ArrowUp' && !ta.value && !ev.altKey && !ev.ctrlKey && !ev.metaKey) {
        const mine = Array.from((form.closest('aside') ? replies : list || document).querySelectorAll(
          'li.msg[data-author="' + me + '"]:not(.deleted)')).pop();
        if (mine && mine.querySelector('a.edit')) { ev.preventDefault(); editInPlace(mine); }
        return;
      }
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        if (ta.value.trim() || (att && att.has())) form.requestSubmit(form.querySelector('button[value=send]'));
      }
    });
    ta.addEventListener('input', () => {
      if (count) count.textContent = String(Math.max(0, (ta.maxLength > 0 ? ta.maxLength : 16000) - ta.value.length));
      const now = Date.now();
      if (channelId && now - lastTyping > 4000) {
        lastTyping = now;
        if (window.pxWs && window.pxWs.send({ type: 'typing', channel_id: Number(channelId) })) return;
        fetch('/api/v1/channels/' + channelId + '/typing', {
          method: 'POST', credentials: 'same-origin',
          headers: { 'X-CSRF-Token': csrf(), 'Content-Type': 'application/json' }, body: '{}',
        }).catch(() => {});
      }
    });
    form.addEventListener('submit', async (ev) => {
      const action = ev.submitter ? ev.submitter.value : 'send';
      if (form.dataset.plain) return;
      ev.preventDefault();
      if (busy) return;
      busy = true;
      try {
        if (att && action === 'send') await att.wait();
        const res = await post(form, { action: action, fragment: '1' });
        if (action === 'preview' && res.ok) {
          out.innerHTML = await res.text();
          out.hidden = false;
          ta.focus();
        } else if (res.status === 201) {
          const tpl = document.createElement('template');
          tpl.innerHTML = (await res.text()).trim();
          const node = tpl.content.firstElementChild;
          const into = form.closest('aside') ? replies : list;
          if (node && into && !document.getElementById(node.id)) {
            into.appendChild(node);
            group(node);
            const empty = document.getElementById('no-messages');
            if (empty) empty.remove();
            const sc = into.closest('.scroller');
            if (sc) sc.scrollTop = 0;
          }
          ta.value = '';
          ta.focus();
          out.hidden = true;
          if (count) count.textContent = '';
          if (att) att.clear();
          lastTyping = 0; /* the next words are news again */
        } else {
          form.dataset.plain = '1';
          form.requestSubmit(ev.submitter || undefined);
        }
      } catch (e) {
        form.dataset.plain = '1';
        form.requestSubmit(ev.submitter || undefined);
      } finally {
        busy = false;
      }
    });
  }

  /* Images: a thumbnail that is not there falls back to the file itself;
     a click opens the full image in a dialog (Escape or Close shut it,
     focus goes back to the link). Without the script the link opens the
     image. */
  function images() {
    const fallback = (img) => {
      const f = img.dataset.fallback;
      if (f && img.getAttribute('src') !== f) img.src = f;
    };
    document.addEventListener('error', (ev) => {
      const el = ev.target;
      if (el && el.tagName === 'IMG' && el.dataset.fallback) fallback(el);
    }, true);
    document.querySelectorAll('img[data-fallback]').forEach((img) => {
      if (img.complete && img.naturalWidth === 0) fallback(img);
    });
    const dlg = document.getElementById('viewer');
    if (!dlg || typeof dlg.showModal !== 'function') return;
    const frame = dlg.querySelector('.frame');
    const orig = dlg.querySelector('.orig');
    let opener = null;
    dlg.addEventListener('close', () => {
      frame.textContent = '';
      if (opener) opener.focus();
      opener = null;
    });
    dlg.addEventListener('click', (ev) => { if (ev.target === dlg) dlg.close(); });
    document.addEventListener('click', (ev) => {
      const a = ev.target.closest ? ev.target.closest('a.thumb[data-full]') : null;
      if (!a || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
      ev.preventDefault();
      const img = document.createElement('img');
      img.src = a.dataset.full;
      img.alt = a.dataset.name || '';
      frame.textContent = '';
      frame.appendChild(img);
      orig.href = a.dataset.full;
      opener = a;
      dlg.showModal();
    });
  }

  /* Reaction, pin and delete buttons post in the background; the event
     that follows updates the message for everyone, this page included. */
  function quietForms() {
    document.addEventListener('submit', async (ev) => {
      const form = ev.target;
      if (!form.closest('.acts') || form.dataset.plain) return;
      ev.preventDefault();
      const menu = form.closest('details.acts');
      if (menu) menu.open = false;
      if (form.classList.contains('del')) { deleteWithUndo(form); return; }
      const res = await fetch(target(form), { method: 'POST', credentials: 'same-origin',
        body: new URLSearchParams(new FormData(form)), redirect: 'manual' }).catch(() => null);
      if (!res || (res.type !== 'opaqueredirect' && !res.ok)) {
        form.dataset.plain = '1';
        form.submit();
        return;
      }
      const li = form.closest('li.msg');
      if (li) refresh(li.dataset.id, false);
    });
  }

  /* Older pages load when the "Older messages" link scrolls into view. */
  function olderOnScroll() {
    const more = document.getElementById('older');
    if (!more || !list || !('IntersectionObserver' in window)) return;
    const io = new IntersectionObserver(async (entries) => {
      if (!entries[0].isIntersecting || more.dataset.busy) return;
      more.dataset.busy = '1';
      const res = await fetch(more.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
      if (!res.ok) return;
      const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
      const first = list.firstElementChild;
      /* the list is anchored at its bottom: older messages go on top
         without moving what is being read */
      doc.querySelectorAll('#messages > li').forEach((li) => {
        if (!document.getElementById(li.id)) list.insertBefore(document.adoptNode(li), first);
      });
      const next = doc.getElementById('older');
      if (next) { more.href = next.getAttribute('href'); delete more.dataset.busy; } else { io.disconnect(); more.parentElement.remove(); }
    }, { root: scroller, rootMargin: '200px' });
    io.observe(more);
  }

  /* The settings page's "push on this device" button: asks for permission,
     subscribes with the server's VAPID key and saves the subscription. */
  function pushButton() {
    const btn = document.getElementById('push-subscribe');
    const state = document.getElementById('push-state');
    if (!btn || !state || !('serviceWorker' in navigator) || !('PushManager' in window) ||
        !('Notification' in window) || !window.isSecureContext) return;
    const key = (s) => {
      const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - s.length % 4) % 4));
      return Uint8Array.from(b, (c) => c.charCodeAt(0));
    };
    btn.hidden = false;
    btn.addEventListener('click', async () => {
      try {
        if (await Notification.requestPermission() !== 'granted') { state.textContent = btn.dataset.failed; return; }
        const reg = await navigator.serviceWorker.ready;
        const k = await (await fetch('/api/v1/push/key', { credentials: 'same-origin' })).json();
        const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key(k.public_key) });
        const res = await fetch('/api/v1/push/subscriptions', { method: 'POST', credentials: 'same-origin',
          headers: { 'X-CSRF-Token': csrf(), 'Content-Type': 'application/json' }, body: JSON.stringify(sub.toJSON()) });
        state.textContent = res.ok ? btn.dataset.on : btn.dataset.failed;
      } catch (e) {
        state.textContent = btn.dataset.failed;
      }
    });
  }

  /* The composer of a message's list (the thread's or the channel's). */
  function composerFor(li) {
    const aside = li && li.closest('aside');
    const ta = (aside || document).querySelector('form[data-composer] textarea');
    return ta;
  }

  /* Edit in place: the no-JS edit page's form, fetched and put in the
     message; Enter saves, Esc (or Cancel) closes it, Shift+Enter is a new
     line. Saved: the message is fetched again. Falls back to the page. */
  async function editInPlace(shownLi) {
    let li = shownLi;
    const a = li.querySelector('a.edit');
    if (!a) return;
    const open = li.querySelector('form.inline-edit');
    if (open) { open.querySelector('textarea').focus(); return; }
    const menu = li.querySelector('details.acts');
    if (menu) menu.open = false;
    let doc;
    try {
      const res = await fetch(a.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
      if (!res.ok) throw new Error(String(res.status));
      doc = new DOMParser().parseFromString(await res.text(), 'text/html');
    } catch (e) { window.location.href = a.href; return; }
    const form = doc.querySelector('form.composer');
    if (!form) { window.location.href = a.href; return; }
    const id = li.dataset.id;
    /* a live update may have replaced the message while the form came */
    if (!li.isConnected) li = document.getElementById('m' + id);
    if (!li || li.querySelector('form.inline-edit')) return;
    form.className = 'inline-edit';
    const ta = form.querySelector('textarea');
    const label = form.querySelector('label');
    const help = form.querySelector('.help');
    ta.id = 'edit-' + id;
    if (label) label.htmlFor = ta.id;
    if (help) { help.id = 'edit-help-' + id; ta.setAttribute('aria-describedby', help.id); }
    const cancel = form.querySelector('a.button');
    const shown = li.querySelector(':scope > .body');
    function close(focusBack) {
      form.remove();
      if (shown) shown.hidden = false;
      const c = composerFor(li);
      if (focusBack && c) c.focus();
    }
    if (cancel) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'secondary';
      b.textContent = cancel.textContent;
      b.addEventListener('click', () => close(true));
      cancel.replaceWith(b);
    }
    ta.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') { ev.preventDefault(); ev.stopPropagation(); close(true); }
      else if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); form.requestSubmit(); }
    });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const res = await fetch(form.getAttribute('action'), { method: 'POST', credentials: 'same-origin',
        body: new URLSearchParams(new FormData(form)), redirect: 'manual' }).catch(() => null);
      if (res && res.type === 'opaqueredirect') {
        close(true);
        refresh(id, false);
        return;
      }
      /* the edit page again, with the error: show its message here */
      let msg = '';
      if (res) {
        const d2 = new DOMParser().parseFromString(await res.text(), 'text/html');
        const err = d2.querySelector('.error');
        msg = err ? err.textContent : String(res.status);
      }
      let p = form.querySelector('.error');
      if (!p) {
        p = document.createElement('p');
        p.className = 'error';
        p.setAttribute('role', 'alert');
        p.id = 'edit-error-' + id;
        form.insertBefore(p, form.firstChild);
        ta.setAttribute('aria-describedby', (ta.getAttribute('aria-describedby') || '') + ' ' + p.id);
      }
      p.textContent = msg;
      ta.setAttribute('aria-invalid', 'true');
      ta.focus();
    });
    if (shown) shown.hidden = true;
    (shown || li.lastElementChild).after(form);
    ta.focus();
    ta.setSelectionRange(ta.value.length, ta.value.length);
  }

  /* One message menu open at a time; an opened one is scrolled into view
     (it opens upwards, above its button). */
  function menus() {
    document.addEventListener('toggle', (ev) => {
      const d = ev.target;
      if (!d.matches || !d.matches('details.acts, details.panel') || !d.open) return;
      /* a panel inside another (the pins in the folded channel menu of a
         phone) leaves the one around it open */
      document.querySelectorAll('details.acts[open], details.panel[open]').forEach((o) => {
        if (o !== d && !o.contains(d)) o.open = false;
      });
      const m = d.querySelector(':scope > .menu, :scope > .pop');
      if (m) m.scrollIntoView({ block: 'nearest' });
    }, true);
  }

  function editLinks() {
    document.addEventListener('click', (ev) => {
      const a = ev.target.closest ? ev.target.closest('li.msg a.edit') : null;
      if (!a || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
      ev.preventDefault();
      editInPlace(a.closest('li.msg'));
    });
  }

  /* Delete, once confirmed in the menu: the message goes from the list at
     once and a notice offers Undo for five seconds; only then (or when
     the page is left) is the delete sent. */
  let pendingDelete = null;
  function sendDelete(p) {
    clearTimeout(p.timer);
    p.toast.remove();
    fetch(p.url, { method: 'POST', credentials: 'same-origin', keepalive: true,
      body: p.body, redirect: 'manual' }).catch(() => {});
    if (pendingDelete === p) pendingDelete = null;
  }
  function deleteWithUndo(form) {
    const li = form.closest('li.msg');
    if (pendingDelete) sendDelete(pendingDelete);
    const toast = document.createElement('div');
    toast.className = 'toast';
    toast.setAttribute('role', 'status');
    const text = document.createElement('span');
    text.textContent = T.tDeleted || 'Deleted.';
    const undo = document.createElement('button');
    undo.type = 'button';
    undo.textContent = T.tUndo || 'Undo';
    toast.append(text, undo);
    document.body.appendChild(toast);
    const p = { url: form.getAttribute('action'), body: new URLSearchParams(new FormData(form)), toast };
    const focusAfter = composerFor(li);
    li.hidden = true;
    p.timer = setTimeout(() => {
      const hadFocus = toast.contains(document.activeElement);
      sendDelete(p);
      if (hadFocus && focusAfter) focusAfter.focus();
    }, 5000);
    undo.addEventListener('click', () => {
      clearTimeout(p.timer);
      toast.remove();
      pendingDelete = null;
      li.hidden = false;
      const s = li.querySelector('details.acts > summary');
      if (s) s.focus();
    });
    pendingDelete = p;
    undo.focus();
  }
  window.addEventListener('pagehide', () => { if (pendingDelete) sendDelete(pendingDelete); });

  /* Channel switcher (Ctrl/Cmd+K): a dialog with a filter field over the
     sidebar's channels and DMs; arrows choose, Enter opens. */
  function switcher() {
    const links = Array.from(document.querySelectorAll('.sidebar a[data-channel-id]'));
    if (!links.length) return;
    let dlg = document.getElementById('switcher');
    if (!dlg) {
      dlg = document.createElement('dialog');
      dlg.id = 'switcher';
      dlg.className = 'switcher';
      dlg.setAttribute('aria-labelledby', 'switcher-h');
      const sw = document.getElementById('switcher-strings');
      const h = document.createElement('h2');
      h.id = 'switcher-h';
      h.textContent = sw ? sw.dataset.title : 'Switch to channel';
      const input = document.createElement('input');
      input.type = 'text';
      input.id = 'switcher-q';
      input.setAttribute('role', 'combobox');
      input.setAttribute('aria-expanded', 'true');
      input.setAttribute('aria-controls', 'switcher-list');
      input.setAttribute('aria-autocomplete', 'list');
      input.setAttribute('aria-labelledby', 'switcher-h');
      input.autocomplete = 'off';
      const hint = document.createElement('p');
      hint.className = 'help';
      hint.id = 'switcher-hint';
      hint.textContent = sw ? sw.dataset.hint : '';
      input.setAttribute('aria-describedby', hint.id);
      const ul = document.createElement('ul');
      ul.id = 'switcher-list';
      ul.setAttribute('role', 'listbox');
      ul.setAttribute('aria-labelledby', 'switcher-h');
      dlg.append(h, input, hint, ul);
      document.body.appendChild(dlg);
      let sel = 0, shown = [];
      const draw = () => {
        const q = input.value.trim().toLowerCase();
        shown = links.filter((a) => a.querySelector('.name').textContent.toLowerCase().includes(q));
        ul.textContent = '';
        sel = Math.min(sel, Math.max(0, shown.length - 1));
        shown.forEach((a, i) => {
          const li = document.createElement('li');
          li.setAttribute('role', 'option');
          li.id = 'sw-' + i;
          li.setAttribute('aria-selected', i === sel ? 'true' : 'false');
          li.textContent = a.querySelector('.name').textContent;
          li.addEventListener('click', () => { window.location.href = a.href; });
          ul.appendChild(li);
        });
        if (shown.length) input.setAttribute('aria-activedescendant', 'sw-' + sel);
        else input.removeAttribute('aria-activedescendant');
      };
      input.addEventListener('input', () => { sel = 0; draw(); });
      input.addEventListener('keydown', (ev) => {
        if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
          ev.preventDefault();
          if (!shown.length) return;
          sel = (sel + (ev.key === 'ArrowDown' ? 1 : shown.length - 1)) % shown.length;
          draw();
        } else if (ev.key === 'Enter' && shown[sel]) {
          ev.preventDefault();
          window.location.href = shown[sel].href;
        }
      });
      dlg.addEventListener('close', () => { const c = document.querySelector('form[data-composer] textarea'); if (c) c.focus(); });
      dlg.draw = draw;
    }
    const input = dlg.querySelector('input');
    input.value = '';
    dlg.draw();
    dlg.showModal();
    input.focus();
  }

  /* Alt+Up/Down: the channel before or after the current one in the
     sidebar. */
  function step(dir) {
    const links = Array.from(document.querySelectorAll('.sidebar a[data-channel-id]'));
    const cur = links.findIndex((a) => a.getAttribute('aria-current') === 'page');
    const next = links[cur < 0 ? 0 : (cur + dir + links.length) % links.length];
    if (next) window.location.href = next.href;
  }

  function keyboard() {
    document.addEventListener('keydown', (ev) => {
      if ((ev.ctrlKey || ev.metaKey) && !ev.altKey && (ev.key === 'k' || ev.key === 'K')) {
        ev.preventDefault();
        switcher();
      } else if (ev.altKey && !ev.ctrlKey && !ev.metaKey && (ev.key === 'ArrowUp' || ev.key === 'ArrowDown')) {
        ev.preventDefault();
        step(ev.key === 'ArrowUp' ? -1 : 1);
      } else if (ev.key === 'Escape' && main && channelId && !ev.defaultPrevented &&
                 !document.querySelector('dialog[open]')) {
        /* the innermost open one: the last in document order */
        const open = document.querySelectorAll('details.acts[open], details.panel[open]');
        const openMenu = open.length ? open[open.length - 1] : null;
        if (openMenu) {
          openMenu.open = false;
          const s = openMenu.querySelector('summary');
          if (s) s.focus();
          return;
        }
        readNow();
      }
    });
  }

  if ('serviceWorker' in navigator && window.isSecureContext) {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {});
  }
  pushButton();
  document.querySelectorAll('form[data-composer]').forEach(composer);
  if (document.querySelector('[data-attached]')) {
    /* a file dropped beside the drop area must not replace the page */
    ['dragover', 'drop'].forEach((type) => window.addEventListener(type, (ev) => {
      if (ev.dataTransfer && Array.from(ev.dataTransfer.types || []).includes('Files')) ev.preventDefault();
    }));
  }
  images();
  quietForms();
  olderOnScroll();
  editLinks();
  menus();
  keyboard();
  const unreadLine = document.getElementById('unread-line');
  if (unreadLine && !window.location.hash) unreadLine.scrollIntoView({ block: 'start' });
  const firstComposer = document.querySelector('aside form[data-composer] textarea') ||
    document.querySelector('form[data-composer] textarea');
  if (firstComposer && !window.location.hash.startsWith('#m')) {
    const focusComposer = () => {
      if (document.activeElement === body || !document.activeElement) firstComposer.focus({ preventScroll: true });
    };
    firstComposer.focus({ preventScroll: true });
    /* scrolling to a fragment (#thread) at load takes the focus away */
    if (window.location.hash) window.addEventListener('load', () => requestAnimationFrame(focusComposer));
  }
  if (body.dataset.live === '1' && 'fetch' in window) {
    const fallback = () => { if ('EventSource' in window) stream(); else longPoll(0); };
    /* WebSocket first (static/js/ws.js); it falls back to SSE by itself */
    if (window.pxWs) {
      window.pxWs.start({ lastId: () => lastId, setLastId: (id) => { lastId = id; }, onEvent, live, fallback });
    } else {
      fallback();
    }
    if (channelId) setInterval(presence, 60000);
  }
})();
