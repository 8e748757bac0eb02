// The browser side of passkeys, served after @simplewebauthn/browser's bundle. An element
// with data-passkey says what the page does: "login" (sign in instead of the password),
// "second-factor" (a passkey as the second step) or "register" (the offer after sign-in).
// Each asks the bridge for options, lets the browser talk to the authenticator, sends the
// answer back and follows where the bridge says to go. Without WebAuthn nothing is shown.
(() => {
  const W = window.SimpleWebAuthnBrowser;
  const box = document.querySelector('[data-passkey]');
  if (!box) return;
  const mode = box.getAttribute('data-passkey');
  // The page's own forms say which interaction this is and carry its CSRF token.
  const field = document.querySelector('form[action^="/interaction/"] input[name=csrf]');
  if (!field) return;
  const base = field.form.getAttribute('action').match(/^\/interaction\/[^/]+/)[0];
  const csrf = field.value;
  const button = document.getElementById('passkey-button');
  const status = document.getElementById('passkey-status');
  const capable = document.getElementById('passkey-capable');
  const supported = Boolean(W?.browserSupportsWebAuthn());

  if (!supported) {
    // The offer makes no sense here: move on as if it had been declined.
    if (mode === 'register') document.getElementById('passkey-skip')?.click();
    return;
  }
  box.hidden = false;
  if (capable) {
    W.platformAuthenticatorIsAvailable().then((yes) => {
      if (yes) capable.value = '1';
    });
  }

  function post(path, body) {
    return fetch(base + path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(Object.assign({ csrf: csrf }, body || {})),
    }).then((res) =>
      res.json().then((data) => {
        if (!res.ok && !data.redirect) throw Object.assign(new Error(data.error || 'failed'), { data: data });
        return data;
      }),
    );
  }

  function fail(err) {
    button.disabled = false;
    const message = err?.data?.message || box.getAttribute('data-failed');
    const alert = document.getElementById('passkey-error');
    if (alert) {
      alert.textContent = message;
      alert.hidden = false;
      status.textContent = '';
    } else {
      status.textContent = message;
    }
  }

  button.addEventListener('click', () => {
    button.disabled = true;
    status.textContent = box.getAttribute('data-working');
    const register = mode === 'register';
    post(register ? '/passkey/registration-options' : '/passkey/authentication-options')
      .then((options) =>
        register
          ? W.startRegistration({ optionsJSON: options })
          : W.startAuthentication({ optionsJSON: options }),
      )
      .then((response) =>
        post(register ? '/passkey/register' : '/passkey/authenticate', { response: response }),
      )
      .then((data) => {
        if (data.redirect) window.location.assign(data.redirect);
        else fail({ data: data });
      })
      .catch(fail);
  });
})();
