/* ws.js: the WebSocket transport of the live updates (GET /api/v1/events/ws,
   served by plexichat-ws; docs/API.md "WebSocket"). app.js starts it first
   and gives it a fallback (its EventSource and long-poll), which it calls by
   itself when WebSocket is not offered here (asked once per tab with a
   plain GET, so that shared hosting, which has no WebSocket, never shows a
   failed handshake in the console), when the socket never opens, or when it
   keeps failing. Events are the same JSON objects SSE sends; resume uses
   the last event id; typing notices and read markers go out as frames
   while the socket is open (send() says whether it took them). */
'use strict';
window.pxWs = (function () {
  let sock = null;
  /* A page being left (a form posted, a link followed) must not reload
     itself when the server ends its socket meanwhile: signing out ends the
     session, and so the socket (4003), before the next page arrives, and
     that reload would abort the sign-out's navigation. */
  let leaving = false;
  window.addEventListener('beforeunload', () => { leaving = true; });
  window.addEventListener('pageshow', () => { leaving = false; });

  /* Whether this server offers WebSocket: {"websocket": true|false}. */
  async function offered() {
    const key = 'px-ws-offered';
    try {
      const known = window.sessionStorage.getItem(key);
      if (known !== null) return known === '1';
    } catch (e) { /* storage off: ask every time */ }
    try {
      const res = await fetch('/api/v1/events/ws',
        { credentials: 'same-origin', headers: { Accept: 'application/json' } });
      const yes = res.ok && (await res.json()).websocket === true;
      try { window.sessionStorage.setItem(key, yes ? '1' : '0'); } catch (e) { /* ignore */ }
      return yes;
    } catch (e) {
      return false;
    }
  }

  /* o: { lastId(), setLastId(id), onEvent(type, ev), live(on), fallback() } */
  function start(o) {
    let failures = 0, everOpen = false, gaveUp = false;
    const giveUp = () => {
      if (gaveUp) return;
      gaveUp = true;
      document.body.dataset.transport = 'sse';
      o.fallback();
    };
    const open = () => {
      const last = o.lastId();
      const url = (window.location.protocol === 'https:' ? 'wss://' : 'ws://') +
        window.location.host + '/api/v1/events/ws' +
        (last && last !== '0' ? '?last_event_id=' + encodeURIComponent(last) : '');
      let s, opened = false;
      try { s = new WebSocket(url); } catch (e) { giveUp(); return; }
      s.onopen = () => {
        opened = everOpen = true;
        failures = 0;
        sock = s;
        document.body.dataset.transport = 'websocket';
        o.live(true);
      };
      s.onmessage = (m) => {
        let j;
        try { j = JSON.parse(m.data); } catch (e) { return; }
        if (j.type === 'typing') o.onEvent('typing', j.data || {});
        else if (j.type === 'reset') o.onEvent('reset', j);
        else if (j.type === 'ready') { if (j.last_event_id) o.setLastId(String(j.last_event_id)); }
        else if (j.type === 'reply') { /* answers to our frames: nothing to show */ }
        else if (j.id) { o.setLastId(String(j.id)); o.onEvent(j.type, j); }
      };
      s.onclose = (ev) => {
        if (sock === s) sock = null;
        o.live(false);
        /* 4003: the session ended or a membership changed: the page as
           the server renders it now shows which */
        if (ev.code === 4003) { if (!leaving) window.location.reload(); return; }
        if (!everOpen) { giveUp(); return; }
        if (!opened) failures++;
        if (failures > 4) { giveUp(); return; }
        setTimeout(open, Math.min(30000, 500 * 2 ** failures));
      };
    };
    if (!('WebSocket' in window)) { giveUp(); return; }
    offered().then((yes) => { if (yes) open(); else giveUp(); });
  }

  /* Sends a frame ({type: 'typing'|'read', ...}); false when no socket is
     open (the caller uses the HTTP route instead). */
  function send(frame) {
    if (!sock || sock.readyState !== 1) return false;
    sock.send(JSON.stringify(frame));
    return true;
  }

  return { start, send };
})();
