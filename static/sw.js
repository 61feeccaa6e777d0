/* sw.js: PlexiChat's service worker, served at /sw.js so that it controls
   the whole site. It caches only the static shell (files under /static/ and
   the offline page); pages, API answers and events carry private data and
   always go to the network, never into a cache. */
'use strict';
const CACHE = 'plexichat-static-v1';
const SHELL = ['/static/css/app.css', '/static/js/app.js', '/static/js/ws.js', '/static/icons/icon.svg',
  '/static/icons/icon-192.png', '/static/manifest.webmanifest', '/static/offline.html'];

self.addEventListener('install', (ev) => {
  ev.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (ev) => {
  ev.waitUntil(caches.keys().then((keys) => Promise.all(
    keys.filter((k) => k !== CACHE).map((k) => caches.delete(k)))).then(() => self.clients.claim()));
});

/* Static files: cache first by exact URL (URLs carry content hashes), and
   the newest cached version of the same path when the network is down.
   Navigations: network only, with the offline page when the network is
   down. Everything else is left to the browser. */
async function staticFile(req) {
  const c = await caches.open(CACHE);
  const hit = await c.match(req);
  if (hit) return hit;
  try {
    const res = await fetch(req);
    if (res.ok && res.type === 'basic') {
      const path = new URL(req.url).pathname;
      for (const old of await c.keys())
        if (new URL(old.url).pathname === path) await c.delete(old);
      await c.put(req, res.clone());
    }
    return res;
  } catch (e) {
    const old = await c.match(req, { ignoreSearch: true });
    if (old) return old;
    throw e;
  }
}

self.addEventListener('fetch', (ev) => {
  const req = ev.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/static/')) {
    ev.respondWith(staticFile(req));
  } else if (req.mode === 'navigate') {
    ev.respondWith(fetch(req).catch(() => caches.match('/static/offline.html', { ignoreSearch: true })));
  }
});

/* Web Push: the server sends {title, body, url, tag} (model/notify_run.c)
   for a mention or DM that arrived while no tab was open. A click opens the
   message in a PlexiChat tab (an open one when there is one); only paths of
   this site are followed. */
self.addEventListener('push', (ev) => {
  let d = {};
  try { d = ev.data ? ev.data.json() : {}; } catch (e) { d = {}; }
  ev.waitUntil(self.registration.showNotification(String(d.title || 'PlexiChat'), {
    body: String(d.body || ''), tag: d.tag ? String(d.tag) : undefined,
    icon: '/static/icons/icon-192.png', data: { url: String(d.url || '/') } }));
});

self.addEventListener('notificationclick', (ev) => {
  ev.notification.close();
  const url = new URL((ev.notification.data && ev.notification.data.url) || '/', self.location.origin);
  if (url.origin !== self.location.origin) return;
  ev.waitUntil(self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((list) => {
    for (const c of list) {
      if (new URL(c.url).origin === url.origin && 'focus' in c)
        return c.navigate(url.href).then((w) => (w || c).focus());
    }
    return self.clients.openWindow(url.href);
  }));
});
