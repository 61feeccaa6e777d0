/* notify.js: what tells a user that something happened while they look
   elsewhere. The unread count goes into the tab title and the installed
   app's badge (navigator.setAppBadge where there is one); both follow the
   sidebar's badges, which the server renders and app.js keeps live.
   Channels set to "mentions only" or "nothing" keep no unread badge (the
   server already counts them so; live increments are undone here).
   Desktop notifications are asked for only when the user presses the
   banner's button (never on load), and then name the person and channel
   and open the message when clicked. The account's switch in the
   settings ("desktop" of /api/v1/notifications/settings) turns both the
   banner and the notifications off. Events come from app.js, which
   dispatches each as a "px:event" on document. */
'use strict';
(function () {
  const cfg = document.getElementById('px-rich');
  if (!cfg) return;
  const T = cfg.dataset;
  const me = document.body.dataset.me || '';
  const DISMISS = 'px.notify.dismissed';
  const baseTitle = document.title.replace(/^\(\d+\+?\) /, '');
  const sidebar = document.querySelector('.sidebar');

  function count(el) {
    if (!el || el.hidden) return 0;
    return parseInt((el.firstChild && el.firstChild.textContent || '').replace('@', ''), 10) || 0;
  }

  /* Undoes live badges a channel's level does not want. */
  function quiet() {
    if (!sidebar) return;
    sidebar.querySelectorAll('a[data-notify]').forEach((a) => {
      const level = a.dataset.notify;
      const unread = a.querySelector('[data-badge]');
      const men = a.querySelector('[data-mentions]');
      if (level !== 'all' && unread && !unread.hidden) {
        unread.hidden = true;
        a.parentElement.classList.remove('unread');
      }
      if (level === 'none' && men && !men.hidden) men.hidden = true;
    });
  }

  function total() {
    let n = 0;
    if (!sidebar) return 0;
    sidebar.querySelectorAll('a[data-channel-id]').forEach((a) => {
      n += count(a.querySelector('[data-badge]'));
      if (a.dataset.notify !== 'all') n += count(a.querySelector('[data-mentions]'));
    });
    return n;
  }

  let shown = -1;
  function update() {
    quiet();
    const n = total();
    if (n === shown) return;
    shown = n;
    document.title = n > 0 ? '(' + n + ') ' + baseTitle : baseTitle;
    if ('setAppBadge' in navigator) {
      (n > 0 ? navigator.setAppBadge(n) : navigator.clearAppBadge()).catch(() => {});
    }
  }

  function channelLink(id) {
    return sidebar ? sidebar.querySelector('a[data-channel-id="' + id + '"]') : null;
  }

  /* The message's words, from the server's own fragment (no Markdown). */
  async function words(slug, id) {
    try {
      const res = await fetch('/c/' + encodeURIComponent(slug) + '/m/' + id,
        { credentials: 'same-origin', headers: { Accept: 'text/html' } });
      if (!res.ok) return '';
      const tpl = document.createElement('template');
      tpl.innerHTML = await res.text();
      const body = tpl.content.querySelector('.body');
      return body ? body.textContent.replace(/\s+/g, ' ').trim().slice(0, 180) : '';
    } catch (e) {
      return '';
    }
  }

  /* The account's switch, read once per page and only when a banner or a
     notification needs it; when it cannot be read, nothing is shown. */
  let wanted = null;
  function allowed() {
    if (!wanted) {
      wanted = fetch('/api/v1/notifications/settings',
        { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then((r) => (r.ok ? r.json() : { desktop: false }))
        .then((j) => j.desktop === true, () => false);
    }
    return wanted;
  }

  async function desktop(d) {
    if (!('Notification' in window) || Notification.permission !== 'granted') return;
    if (!(await allowed())) return;
    const link = channelLink(d.channel_id);
    const here = document.querySelector('main[data-channel-id="' + d.channel_id + '"]');
    if (here && document.visibilityState === 'visible' && document.hasFocus()) return;
    if (link && link.dataset.notify === 'none') return;
    const slug = link ? link.getAttribute('href').replace(/^\/c\//, '') : String(d.channel_id);
    const chan = link ? link.querySelector('.name').textContent.trim() : '';
    const actor = d.actor ? (d.actor.display_name || d.actor.username) : '';
    const dm = link && !link.querySelector('[aria-hidden=true]');
    const title = actor + (d.kind === 'mention' ? ' ' + T.tMentioned : '') + (chan && !dm ? ' · #' + chan : '');
    const n = new Notification(title, { body: await words(slug, d.message_id), tag: 'px-' + d.id,
      icon: document.querySelector('link[rel=icon]') ? document.querySelector('link[rel=icon]').href : undefined });
    n.onclick = () => {
      window.focus();
      window.location.href = '/c/' + slug + '#m' + d.message_id;
      n.close();
    };
  }

  /* The banner that asks, once, with a button (a user gesture). */
  async function banner() {
    if (!('Notification' in window) || Notification.permission !== 'default') return;
    try { if (localStorage.getItem(DISMISS)) return; } catch (e) { return; }
    const main = document.getElementById('main');
    if (!main || !me || !(await allowed())) return;
    const box = document.createElement('div');
    box.className = 'notify-banner';
    box.setAttribute('role', 'region');
    box.setAttribute('aria-label', T.tNotifyBanner);
    const p = document.createElement('p');
    p.textContent = T.tNotifyBanner;
    const on = document.createElement('button');
    on.type = 'button';
    on.className = 'notify-on';
    on.textContent = T.tNotifyOn;
    const later = document.createElement('button');
    later.type = 'button';
    later.className = 'secondary notify-later';
    later.textContent = T.tNotifyLater;
    const done = () => { try { localStorage.setItem(DISMISS, '1'); } catch (e) { /* private mode */ } box.remove(); };
    on.addEventListener('click', () => {
      Notification.requestPermission().then(done, done);
    });
    later.addEventListener('click', done);
    box.append(p, on, later);
    main.prepend(box);
  }

  document.addEventListener('px:event', (e) => {
    const { type, ev } = e.detail || {};
    if (type === 'notification.created' && ev && ev.data) desktop(ev.data);
    setTimeout(update, 0);
  });
  if (sidebar) new MutationObserver(update).observe(sidebar, { subtree: true, childList: true, characterData: true, attributeFilter: ['hidden'] });
  update();
  banner();
  window.pxNotify = { update, desktop };
})();
