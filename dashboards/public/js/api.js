// The pages' one way to the hub's JSON API: same-origin fetch with the session cookie, the CSRF
// token echoed in a header on every change, and errors turned into exceptions with the hub's code.

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
    this.context = body?.context || {};
  }
}

function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)khoa_csrf=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : '';
}

export async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (method !== 'GET') headers['x-khoa-csrf'] = csrfToken() || 'login';
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/api${path}`, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) {
    // The login page itself probes /session; only the other pages send a signed-out user there.
    const onLogin = location.pathname === '/' || location.pathname === '/index.html';
    if (res.status === 401 && !onLogin) {
      location.href = `/index.html?next=${encodeURIComponent(location.pathname)}`;
    }
    throw new ApiError(res.status, data);
  }
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body = {}) => api('POST', path, body);

/** The signed-in account, or a redirect to the login page. */
export async function requireSession(roles) {
  const s = await get('/session');
  if (s.mustChangePassword) {
    location.href = '/index.html?change=1';
    throw new Error('password change required');
  }
  if (roles && !roles.includes(s.role)) {
    location.href = homeOf(s.role);
    throw new Error('wrong page for role');
  }
  return s;
}

export function homeOf(role) {
  return { officer: '/console.html', household: '/household.html', official: '/stats.html', admin: '/audit.html' }[role] || '/index.html';
}

export async function logout() {
  try {
    await post('/logout');
  } finally {
    location.href = '/index.html';
  }
}
