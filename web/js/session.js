// The signed-in session: tokens live in memory and in sessionStorage (this
// tab only, gone when it closes), never in a cookie.
import * as cognito from './cognito.js';

const KEY = 'tenantforge.session';
const REFRESH_MARGIN_MS = 60 * 1000;

let current = read();
let refreshing = null;
const listeners = new Set();

function read() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    return s && s.idToken && s.identity ? s : null;
  } catch {
    return null;
  }
}

function write(s) {
  current = s;
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
  for (const fn of listeners) fn(s);
}

/** Decodes a JWT's claims (no verification: the API verifies). */
export function claims(jwt) {
  try {
    const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = decodeURIComponent(Array.from(atob(part), (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join(''));
    return JSON.parse(json);
  } catch {
    return {};
  }
}

function fromTokens(identity, tenantName, username, t) {
  const c = claims(t.idToken);
  return {
    identity, tenantName, username, ...t,
    email: c.email || username,
    role: c['custom:role'] || '',
    tenantId: c['custom:tenant_id'] || '',
  };
}

export function get() { return current; }

export function onChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }

export function start(identity, tenantName, username, t) {
  write(fromTokens(identity, tenantName, username, t));
  return current;
}

/** A valid ID token, refreshed first when it is about to expire. */
export async function idToken({ force = false } = {}) {
  const s = current;
  if (!s) return null;
  if (!force && s.expiresAt - Date.now() > REFRESH_MARGIN_MS) return s.idToken;
  if (!refreshing) {
    refreshing = cognito.refresh(s.identity, s.refreshToken)
      .then((t) => start(s.identity, s.tenantName, s.username, t).idToken)
      .catch((err) => {
        write(null);
        throw err;
      })
      .finally(() => { refreshing = null; });
  }
  return refreshing;
}

export async function signOut() {
  const s = current;
  write(null);
  if (s && s.refreshToken) await cognito.revoke(s.identity, s.refreshToken);
}
