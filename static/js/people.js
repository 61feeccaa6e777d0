/* people.js: "@" autocomplete in the composer. Typing "@" and the start of
   a name lists matching people (GET /api/v1/users?q=, plus @here and
   @channel) under the text box; arrow keys move, Enter or Tab puts
   "@username " in place of what was typed, Escape closes. The text box
   points at the active choice with aria-activedescendant. Without this
   file "@name" typed in full works the same (the server links it). */
'use strict';
(function () {
  const cfg = document.getElementById('px-rich');
  if (!cfg) return;
  const T = cfg.dataset;
  const SPECIAL = ['here', 'channel'];
  const LIMIT = 8;
  let seq = 0;

  function attach(form) {
    const area = form.querySelector('textarea[name=body]');
    if (!area || form.dataset.mentions) return;
    form.dataset.mentions = '1';
    const id = 'mention-list-' + (++seq);
    const list = document.createElement('ul');
    list.className = 'mention-list';
    list.id = id;
    list.setAttribute('role', 'listbox');
    list.setAttribute('aria-label', T.tMentions);
    list.hidden = true;
    area.after(list);
    area.setAttribute('aria-controls', id);
    let items = [];
    let active = -1;
    let timer = null;
    let asked = 0;

    /* The "@partial" that ends at the caret, or null. */
    function partial() {
      const upto = area.value.slice(0, area.selectionStart);
      const m = /(^|[^A-Za-z0-9_.@-])@([A-Za-z0-9_.-]{0,64})$/.exec(upto);
      return m ? { text: m[2], start: upto.length - m[2].length - 1 } : null;
    }

    function close() {
      list.hidden = true;
      list.replaceChildren();
      items = [];
      active = -1;
      area.removeAttribute('aria-activedescendant');
    }

    function mark(i) {
      if (active >= 0 && list.children[active]) list.children[active].setAttribute('aria-selected', 'false');
      active = i;
      const li = list.children[i];
      if (!li) return;
      li.setAttribute('aria-selected', 'true');
      area.setAttribute('aria-activedescendant', li.id);
      li.scrollIntoView({ block: 'nearest' });
    }

    function show(found) {
      list.replaceChildren();
      items = found;
      if (!found.length) { close(); return; }
      found.forEach((u, i) => {
        const li = document.createElement('li');
        li.id = id + '-' + i;
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', 'false');
        li.dataset.username = u.username;
        const name = document.createElement('bdi');
        name.textContent = u.display_name || u.username;
        const handle = document.createElement('span');
        handle.className = 'handle';
        handle.textContent = ' @' + u.username;
        li.append(name, handle);
        list.append(li);
      });
      list.style.top = (area.offsetTop + area.offsetHeight) + 'px';
      list.style.left = area.offsetLeft + 'px';
      list.hidden = false;
      mark(0);
    }

    function choose(i) {
      const p = partial();
      const u = items[i];
      if (!p || !u) { close(); return; }
      area.setRangeText('@' + u.username + ' ', p.start, area.selectionStart, 'end');
      close();
      area.dispatchEvent(new Event('input', { bubbles: true }));
      area.focus();
    }

    async function lookup(text) {
      const mine = ++asked;
      const specials = SPECIAL.filter((s) => s.startsWith(text.toLowerCase()))
        .map((s) => ({ username: s, display_name: '@' + s }));
      let users = [];
      if (text.length > 0) {
        try {
          const res = await fetch('/api/v1/users?limit=' + LIMIT + '&q=' + encodeURIComponent(text),
            { credentials: 'same-origin', headers: { Accept: 'application/json' } });
          if (res.ok) users = (await res.json()).users || [];
        } catch (e) { users = []; }
      }
      if (mine !== asked) return;
      const lower = text.toLowerCase();
      users.sort((a, b) => Number(!a.username.toLowerCase().startsWith(lower)) -
        Number(!b.username.toLowerCase().startsWith(lower)));
      show(users.concat(specials).slice(0, LIMIT));
    }

    area.addEventListener('input', () => {
      const p = partial();
      clearTimeout(timer);
      if (!p) { close(); return; }
      timer = setTimeout(() => lookup(p.text), 120);
    });
    /* capture on the form: before the composer's own Enter-to-send */
    form.addEventListener('keydown', (ev) => {
      if (ev.target !== area || list.hidden || !items.length) return;
      if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
        ev.preventDefault();
        ev.stopPropagation();
        mark((active + (ev.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length);
      } else if ((ev.key === 'Enter' && !ev.shiftKey) || ev.key === 'Tab') {
        ev.preventDefault();
        ev.stopPropagation();
        choose(active);
      } else if (ev.key === 'Escape') {
        ev.preventDefault();
        ev.stopPropagation();
        close();
      }
    }, true);
    list.addEventListener('mousedown', (ev) => ev.preventDefault());
    list.addEventListener('click', (ev) => {
      const li = ev.target.closest('li[role=option]');
      if (li) choose(Array.prototype.indexOf.call(list.children, li));
    });
    area.addEventListener('blur', () => setTimeout(close, 150));
  }

  function scan() {
    document.querySelectorAll('form[data-composer]').forEach(attach);
  }
  scan();
  new MutationObserver(scan).observe(document.body, { childList: true, subtree: true });
})();
