// The tenantforge API: JSON over fetch with the ID token, errors in the
// API's format ({"error": {code, message, fields?}}) raised as ApiError.
import { loadConfig } from './config.js';
import * as session from './session.js';

export class ApiError extends Error {
  constructor(status, code, message, fields) {
    super(message || code);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fields = fields || {};
  }
}

async function send(method, path, body, token) {
  const { apiBase } = await loadConfig();
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  try {
    return await fetch(apiBase + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'network_error', 'The service cannot be reached; check your connection and try again.');
  }
}

/** Calls the API; auth=false for the public routes. */
export async function request(method, path, body, { auth = true } = {}) {
  let token = null;
  if (auth) {
    try {
      token = await session.idToken();
    } catch {
      throw new ApiError(401, 'session_expired', 'Your session has ended; sign in again.');
    }
    if (!token) throw new ApiError(401, 'unauthenticated', 'Sign in first.');
  }
  let res = await send(method, path, body, token);
  if (res.status === 401 && auth) {
    // The token may have expired between the check and the call: one retry.
    try {
      token = await session.idToken({ force: true });
    } catch {
      throw new ApiError(401, 'session_expired', 'Your session has ended; sign in again.');
    }
    res = await send(method, path, body, token);
  }
  if (res.status === 204) return null;
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const e = (data && data.error) || {};
    throw new ApiError(res.status, e.code || `http_${res.status}`, e.message || (data && data.message) || `The request failed (${res.status}).`, e.fields);
  }
  return data;
}

export const get = (path, opts) => request('GET', path, undefined, opts);
export const post = (path, body, opts) => request('POST', path, body, opts);
export const put = (path, body) => request('PUT', path, body);
export const patch = (path, body) => request('PATCH', path, body);
export const del = (path) => request('DELETE', path);

/** Every item of a paginated list (?limit=&next=). */
export async function listAll(path, { max = 1000 } = {}) {
  const items = [];
  let next = '';
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await get(`${path}${sep}limit=100${next ? `&next=${encodeURIComponent(next)}` : ''}`);
    items.push(...((page && page.items) || []));
    next = (page && page.next) || '';
  } while (next && items.length < max);
  return items;
}
