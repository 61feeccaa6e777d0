/* emoji.js: the emoji picker, for the composer and for reactions.
   Without this file the composer takes typed emoji and ":shortcode:" (the
   server converts them when it renders) and the quick reaction still works.
   The set is PlexiChat's own: static/emoji/<lang>.json, generated at build
   time from Debian's Unicode data (web/gen_emoji.py), loaded the first time
   the picker opens. Keyboard: focus stays in the search field (a combobox
   whose active option is aria-activedescendant); arrow keys move through
   the grid, Enter chooses, Escape closes and gives focus back. Recently
   used emoji come first and the chosen skin tone is kept (localStorage). */
'use strict';
(function () {
  const cfg = document.getElementById('px-rich');
  if (!cfg) return;
  const T = cfg.dataset;
  const RECENT = 'px.emoji.recent';
  const TONE = 'px.emoji.tone';
  const MAX_RECENT = 24;
  const MAX_RESULTS = 300;
  const TONE_SAMPLE = ['✋', '✋🏻', '✋🏼', '✋🏽', '✋🏾', '✋🏿'];
  let data = null;
  let ui = null;
  let active = -1;
  let options = [];
  let onPick = null;
  let opener = null;

  function store(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* private mode */ }
  }

  function stored(key, fallback) {
    try { const v = JSON.parse(localStorage.getItem(key)); return v === null ? fallback : v; } catch (e) { return fallback; }
  }

  function load() {
    if (!data) {
      const url = document.documentElement.lang === 'de' ? T.emojiDe : T.emojiEn;
      data = fetch(url, { credentials: 'same-origin' }).then((r) => {
        if (!r.ok) throw new Error('emoji data: ' + r.status);
        return r.json();
      }).catch((e) => { data = null; throw e; });
    }
    return data;
  }

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    Object.keys(attrs || {}).forEach((k) => e.setAttribute(k, attrs[k]));
    if (text) e.textContent = text;
    return e;
  }

  function build() {
    const root = el('div', { class: 'emoji-picker', role: 'dialog', 'aria-label': T.tEmoji, id: 'emoji-picker', hidden: '' });
    const head = el('div', { class: 'ep-head' });
    const q = el('input', { type: 'search', id: 'ep-q', role: 'combobox', 'aria-autocomplete': 'list',
      'aria-expanded': 'true', 'aria-controls': 'ep-list', 'aria-label': T.tSearch,
      'aria-describedby': 'ep-help', autocomplete: 'off', spellcheck: 'false', placeholder: T.tSearch });
    const close = el('button', { type: 'button', class: 'ep-close secondary', 'aria-label': T.tClose }, '×');
    head.append(q, close);
    const tones = el('div', { class: 'ep-tones', role: 'group', 'aria-label': T.tTone });
    T.tTones.split('|').forEach((name, i) => {
      const b = el('button', { type: 'button', 'aria-label': name, 'aria-pressed': 'false', 'data-tone': String(i) }, TONE_SAMPLE[i]);
      tones.append(b);
    });
    const list = el('div', { class: 'ep-list', id: 'ep-list', role: 'listbox', 'aria-label': T.tEmoji });
    const name = el('p', { class: 'ep-name', 'aria-live': 'polite' });
    const help = el('p', { class: 'ep-help', id: 'ep-help' }, T.tHelp);
    root.append(head, tones, list, name, help);
    document.body.append(root);

    q.addEventListener('input', () => render(q.value));
    q.addEventListener('keydown', key);
    close.addEventListener('click', () => hide(true));
    tones.addEventListener('click', (ev) => {
      const b = ev.target.closest('button[data-tone]');
      if (!b) return;
      store(TONE, Number(b.dataset.tone));
      showTone();
      render(q.value);
    });
    list.addEventListener('mousedown', (ev) => ev.preventDefault());
    list.addEventListener('click', (ev) => {
      const o = ev.target.closest('[role=option]');
      if (o) pick(o.dataset.e);
    });
    document.addEventListener('pointerdown', (ev) => {
      if (!root.hidden && !root.contains(ev.target) && ev.target !== opener && !(opener && opener.contains(ev.target))) hide(false);
    });
    return { root, q, list, name, tones };
  }

  function showTone() {
    const tone = stored(TONE, 0);
    ui.tones.querySelectorAll('button').forEach((b) => b.setAttribute('aria-pressed', String(Number(b.dataset.tone) === tone)));
  }

  /* The emoji shown for an item: with the chosen skin tone when it has one. */
  function withTone(item) {
    const tone = stored(TONE, 0);
    return tone > 0 && item[4] ? item[4][tone - 1] : item[0];
  }

  function matches(item, words) {
    const hay = (item[1] + ' ' + item[2] + ' ' + item[3]).toLowerCase();
    return words.every((w) => hay.includes(w));
  }

  function group(label) {
    return el('div', { role: 'group', 'aria-label': label, 'data-title': label, class: 'ep-group' });
  }

  function option(e, label) {
    const o = el('div', { role: 'option', id: 'ep-o' + options.length, 'aria-selected': 'false', 'aria-label': label, 'data-e': e }, e);
    options.push(o);
    return o;
  }

  function render(query) {
    if (!ui || !data) return;
    data.then((d) => {
      const frag = document.createDocumentFragment();
      const names = T.tGroups.split('|');
      const words = query.toLowerCase().replace(/:/g, ' ').split(/\s+/).filter(Boolean);
      const byEmoji = new Map();
      options = [];
      d.groups.forEach((g) => g.i.forEach((it) => { byEmoji.set(it[0], it); if (it[4]) it[4].forEach((t) => byEmoji.set(t, it)); }));
      if (words.length) {
        const g = group(T.tSearch);
        let n = 0;
        d.groups.forEach((gr) => gr.i.forEach((it) => {
          if (n < MAX_RESULTS && matches(it, words)) { g.append(option(withTone(it), it[1])); n++; }
        }));
        if (n) frag.append(g);
        else frag.append(el('p', { class: 'ep-none', role: 'presentation' }, T.tNone));
      } else {
        const recent = stored(RECENT, []).filter((e) => byEmoji.has(e));
        if (recent.length) {
          const g = group(T.tRecent);
          recent.forEach((e) => g.append(option(e, byEmoji.get(e)[1])));
          frag.append(g);
        }
        d.groups.forEach((gr, i) => {
          const g = group(names[i] || gr.g);
          gr.i.forEach((it) => g.append(option(withTone(it), it[1])));
          frag.append(g);
        });
      }
      ui.list.replaceChildren(frag);
      move(options.length ? 0 : -1, true);
    });
  }

  /* Options per row, from the laid-out grid. */
  function columns() {
    if (options.length < 2) return 1;
    const top = options[0].offsetTop;
    let n = 1;
    while (n < options.length && options[n].offsetTop === top && options[n].parentNode === options[0].parentNode) n++;
    return n;
  }

  function move(to, quiet) {
    if (active >= 0 && options[active]) options[active].setAttribute('aria-selected', 'false');
    active = options.length ? Math.max(0, Math.min(options.length - 1, to)) : -1;
    if (active < 0) {
      ui.q.removeAttribute('aria-activedescendant');
      ui.name.textContent = '';
      return;
    }
    const o = options[active];
    o.setAttribute('aria-selected', 'true');
    ui.q.setAttribute('aria-activedescendant', o.id);
    if (!quiet) o.scrollIntoView({ block: 'nearest' });
    ui.name.textContent = o.getAttribute('aria-label');
  }

  function key(ev) {
    const cols = columns();
    const steps = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: cols, ArrowUp: -cols };
    if (ev.key in steps && options.length) {
      ev.preventDefault();
      move(active + steps[ev.key]);
    } else if (ev.key === 'Enter') {
      ev.preventDefault();
      if (active >= 0) pick(options[active].dataset.e);
    } else if (ev.key === 'Escape') {
      ev.preventDefault();
      ev.stopPropagation();
      hide(true);
    }
  }

  function pick(e) {
    const recent = [e].concat(stored(RECENT, []).filter((x) => x !== e)).slice(0, MAX_RECENT);
    store(RECENT, recent);
    const fn = onPick;
    hide(false);
    if (fn) fn(e);
  }

  function hide(refocus) {
    if (!ui || ui.root.hidden) return;
    ui.root.hidden = true;
    if (opener) opener.setAttribute('aria-expanded', 'false');
    if (refocus && opener) opener.focus();
    onPick = null;
  }

  /* Opens the picker for button; fn receives the chosen emoji. */
  function open(button, fn) {
    if (!ui) ui = build();
    if (!ui.root.hidden && opener === button) { hide(true); return; }
    opener = button;
    onPick = fn;
    button.setAttribute('aria-expanded', 'true');
    ui.root.hidden = false;
    ui.q.value = '';
    showTone();
    ui.q.focus();
    load().then(() => render('')).catch(() => { ui.name.textContent = T.tNone; });
  }

  function insertAt(area, text) {
    const s = area.selectionStart;
    const e = area.selectionEnd;
    area.setRangeText(text, s, e, 'end');
    area.dispatchEvent(new Event('input', { bubbles: true }));
    area.focus();
  }

  function opener_(label, text, cls) {
    return el('button', { type: 'button', class: 'ep-open secondary ' + cls, 'aria-haspopup': 'dialog',
      'aria-expanded': 'false', 'aria-controls': 'emoji-picker', 'aria-label': label, title: label }, text);
  }

  /* Adds the picker's buttons to composers and reaction forms that have
     none yet (messages are replaced when they change). */
  function decorate() {
    document.querySelectorAll('form[data-composer]:not([data-ep])').forEach((form) => {
      const area = form.querySelector('textarea[name=body]');
      const row = form.querySelector('.row');
      if (!area || !row) return;
      form.dataset.ep = '1';
      const b = opener_(T.tInsert, '😀', 'ep-compose');
      b.addEventListener('click', () => open(b, (e) => insertAt(area, e)));
      // beside Send and Preview, before the (wide) file chooser
      row.insertBefore(b, row.querySelector('.attach'));
    });
    document.querySelectorAll('form.react:not([data-ep])').forEach((form) => {
      const input = form.querySelector('input[name=emoji]');
      if (!input) return;
      form.dataset.ep = '1';
      const b = opener_(T.tReact, '☺+', 'ep-react');
      b.addEventListener('click', () => open(b, (e) => {
        const before = input.value;
        input.value = e;
        form.requestSubmit();
        input.value = before;
      }));
      // the page's "more reactions" link (the picker without script) gives
      // way to the button that opens this picker
      const more = form.nextElementSibling;
      if (more && more.classList.contains('react-more')) more.replaceWith(b);
      else form.after(b);
    });
  }

  decorate();
  new MutationObserver(decorate).observe(document.body, { childList: true, subtree: true });
  window.pxEmoji = { open };
})();
