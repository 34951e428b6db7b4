import { applyI18n, langSwitcher, t } from './i18n.js';
import { ApiError, get, homeOf, post } from './api.js';

applyI18n();
langSwitcher(document.getElementById('lang'));

const loginForm = document.getElementById('login-form');
// Over plain HTTP beyond this machine the password crosses the network readable by anyone on it.
if (location.protocol === 'http:' && !/^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(location.hostname)) {
  document.getElementById('insecure-note').classList.remove('hidden');
}
const pwForm = document.getElementById('password-form');
const params = new window.URLSearchParams(location.search);

function go(session) {
  const next = params.get('next');
  // Only a path of this site, never an absolute URL someone put in the link.
  location.href = next && /^\/[a-z-]+\.html$/.test(next) ? next : homeOf(session.role);
}

function askNewPassword(currentPassword) {
  loginForm.classList.add('hidden');
  pwForm.classList.remove('hidden');
  if (currentPassword) document.getElementById('current').value = currentPassword;
  // Lets a password manager file the new password under the right account.
  document.getElementById('pw-username').value = document.getElementById('username').value;
  document.getElementById('new').focus();
}

loginForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const err = document.getElementById('login-error');
  err.textContent = '';
  const username = document.getElementById('username').value.trim().toLowerCase();
  const password = document.getElementById('password').value;
  try {
    const s = await post('/login', { username, password });
    if (s.mustChangePassword) askNewPassword(password);
    else go(s);
  } catch (ex) {
    err.textContent = ex instanceof ApiError && ex.status === 429 ? t('login.limited') : t('login.failed');
  }
});

pwForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const err = document.getElementById('password-error');
  err.textContent = '';
  try {
    await post('/password', { currentPassword: document.getElementById('current').value, newPassword: document.getElementById('new').value });
    go(await get('/session'));
  } catch (ex) {
    err.textContent = t('error.generic', { msg: ex.message });
  }
});

// Already signed in: straight to the right page (or to the password change it still owes).
get('/session').then(
  (s) => (s.mustChangePassword || params.get('change') ? askNewPassword() : go(s)),
  () => document.getElementById('username').focus(),
);
