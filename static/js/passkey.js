/* passkey.js: passkeys (WebAuthn) for the pages that offer them. The
   pages work without it (the passkey parts stay hidden and a <noscript>
   note says why); with it, where the browser has navigator.credentials:
   - /login: "Sign in with a passkey" (a discoverable credential, the
     account comes from its user handle): POST
     /api/v1/auth/webauthn/login/options, navigator.credentials.get,
     POST /api/v1/auth/webauthn/login/verify, then on to "next";
   - the second-factor page: "Use a passkey instead" signs the request
     options the server put in data-options and posts the assertion in the
     form's "webauthn" field (the code field is left out);
   - /settings/security: "Add a passkey": register/options, create,
     register/verify; shows recovery codes when the server made some.
   Binary members travel as base64url strings (docs/API.md). */
'use strict';
(function () {
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function b64u(buf) {
    const b = new Uint8Array(buf);
    let s = '';
    for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function bytes(s) {
    s = s.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) s += '=';
    const bin = atob(s), b = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) b[i] = bin.charCodeAt(i);
    return b.buffer;
  }

  function ids(list) {
    return (list || []).map((c) => ({ type: c.type, id: bytes(c.id) }));
  }

  function requestOptions(pk) {
    const o = Object.assign({}, pk, { challenge: bytes(pk.challenge) });
    o.allowCredentials = ids(pk.allowCredentials);
    return o;
  }

  function creationOptions(pk) {
    const o = Object.assign({}, pk, { challenge: bytes(pk.challenge) });
    o.user = Object.assign({}, pk.user, { id: bytes(pk.user.id) });
    o.excludeCredentials = ids(pk.excludeCredentials);
    return o;
  }

  function credentialJSON(c) {
    const r = c.response, out = { id: c.id, rawId: b64u(c.rawId), type: c.type, response: {} };
    out.response.clientDataJSON = b64u(r.clientDataJSON);
    if (r.attestationObject) out.response.attestationObject = b64u(r.attestationObject);
    if (r.authenticatorData) {
      out.response.authenticatorData = b64u(r.authenticatorData);
      out.response.signature = b64u(r.signature);
      out.response.userHandle = r.userHandle ? b64u(r.userHandle) : null;
    }
    return out;
  }

  function csrf() {
    const f = document.querySelector('input[name=csrf_token]');
    return f ? f.value : '';
  }

  async function post(path, body) {
    const res = await fetch(path, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': csrf() },
      body: JSON.stringify(body || {}),
    });
    const j = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(j.message || ('HTTP ' + res.status));
    return j;
  }

  function show(el, text) {
    if (!el) return;
    el.textContent = text;
    el.hidden = false;
  }

  /* /login: passwordless */
  const login = document.getElementById('passkey-login');
  if (login) {
    login.hidden = false;
    document.getElementById('passkey-login-btn').addEventListener('click', async () => {
      const err = document.getElementById('passkey-error');
      const next = document.querySelector('form[action="/login"] input[name=next]');
      err.hidden = true;
      try {
        const o = await post('/api/v1/auth/webauthn/login/options');
        const c = await navigator.credentials.get({ publicKey: requestOptions(o.publicKey) });
        await post('/api/v1/auth/webauthn/login/verify',
          { credential: credentialJSON(c), next: next ? next.value : '/' });
        location.assign(next && next.value ? next.value : '/');
      } catch (e) {
        show(err, login.dataset.failed);
      }
    });
  }

  /* second-factor page */
  const mfa = document.getElementById('passkey-mfa');
  if (mfa && mfa.dataset.options) {
    mfa.hidden = false;
    document.getElementById('passkey-mfa-btn').addEventListener('click', async () => {
      const form = document.getElementById('mfa-form');
      const err = document.getElementById('passkey-error');
      err.hidden = true;
      try {
        const c = await navigator.credentials.get(
          { publicKey: requestOptions(JSON.parse(mfa.dataset.options)) });
        const field = document.createElement('input');
        field.type = 'hidden';
        field.name = 'webauthn';
        field.value = JSON.stringify(credentialJSON(c));
        form.appendChild(field);
        const code = form.querySelector('input[name=code]');
        if (code) code.disabled = true;
        form.submit();
      } catch (e) {
        show(err, mfa.dataset.failed);
      }
    });
  }

  /* /settings/security: add a passkey */
  const add = document.getElementById('passkey-add');
  if (add) {
    add.hidden = false;
    document.getElementById('passkey-add-btn').addEventListener('click', async () => {
      const err = document.getElementById('passkey-add-error');
      const name = document.getElementById('passkey-name').value.trim() || 'Passkey';
      err.hidden = true;
      try {
        const o = await post('/api/v1/auth/webauthn/register/options');
        const c = await navigator.credentials.create({ publicKey: creationOptions(o.publicKey) });
        const r = await post('/api/v1/auth/webauthn/register/verify',
          { name: name, credential: credentialJSON(c) });
        if (!r.recovery_codes) {
          location.assign('/settings/security?done=passkey_added');
          return;
        }
        const list = document.getElementById('passkey-code-list');
        r.recovery_codes.forEach((code) => {
          const li = document.createElement('li');
          li.textContent = code;
          list.appendChild(li);
        });
        const item = document.createElement('li');
        item.textContent = r.credential.name;
        document.getElementById('passkey-list').appendChild(item);
        document.getElementById('passkey-codes').hidden = false;
      } catch (e) {
        show(err, add.dataset.failed + ' (' + e.message + ')');
      }
    });
  }
}());
