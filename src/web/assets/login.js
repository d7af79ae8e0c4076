// The access-token sign-in: POST /session with the token, then reload; and signing out.

import { call } from './api.js';

/** Wires the sign-in form, the sign-out button, and showing the form again when a session ends. */
export function setupLogin() {
  const login = document.getElementById('login');
  const form = document.getElementById('login-form');
  const error = document.getElementById('login-error');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      await call('POST', '/session', { token: new FormData(form).get('token') });
      location.reload();
    } catch (err) {
      error.textContent =
        err.code === 'unauthorized' ? 'That access token is not right. Try again.' : err.message;
      error.hidden = false;
      button.disabled = false;
      form.elements.token.select();
    }
  });
  document.getElementById('sign-out').addEventListener('click', async () => {
    await call('DELETE', '/session').catch(() => undefined);
    location.reload();
  });
  addEventListener('dfs:unauthorized', () => {
    document.getElementById('app').hidden = true;
    document.getElementById('sign-out').hidden = true;
    error.textContent = 'Your session has ended: sign in again.';
    error.hidden = false;
    login.hidden = false;
  });
}

/** True when the page was rendered for a browser that still has to sign in. */
export function needsLogin() {
  return !document.getElementById('login').hidden;
}
