/**
 * The REST API as the app uses it: the bearer token kept in localStorage,
 * JSON in and out, and an expired or refused token sending the user back to
 * the login page with a message.
 */
const TOKEN_KEY = 'updraft.token';

export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

type SessionListener = (message: string | null) => void;
const listeners = new Set<SessionListener>();

export const session = {
  token: (): string | null => localStorage.getItem(TOKEN_KEY),
  set(token: string) {
    localStorage.setItem(TOKEN_KEY, token);
    listeners.forEach((l) => l(null));
  },
  /** forgets the token; `message` is shown on the login page */
  end(message: string | null = null) {
    localStorage.removeItem(TOKEN_KEY);
    listeners.forEach((l) => l(message));
  },
  subscribe(l: SessionListener) {
    listeners.add(l);
    return () => void listeners.delete(l);
  },
  /** seconds until the token expires (from its own claims), or null */
  secondsLeft(): number | null {
    const token = session.token();
    if (!token) return null;
    try {
      const claims = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: number };
      return claims.exp ? claims.exp - Date.now() / 1000 : null;
    } catch {
      return null;
    }
  },
};

export async function login(username: string, password: string): Promise<void> {
  const res = await fetch('/auth/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, body.detail ?? `Login failed (${res.status})`);
  session.set(body.access_token);
}

function detailOf(body: unknown, status: number): string {
  const detail = (body as { detail?: unknown } | null)?.detail;
  if (typeof detail === 'string') return detail;
  if (detail !== undefined) return JSON.stringify(detail);
  return `Request failed (${status})`;
}

/** Calls the API with the session's token; throws ApiError with the server's `detail`. */
export async function api<T = any>(method: string, url: string, body?: unknown, init: { signal?: AbortSignal; accept?: string } = {}): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${session.token() ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (init.accept) headers.accept = init.accept;
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: init.signal });
  if (res.status === 401) {
    session.end('Your session has expired. Please log in again.');
    throw new ApiError(401, 'Session expired');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // plain text (logs)
  }
  if (!res.ok) throw new ApiError(res.status, detailOf(parsed, res.status));
  return parsed as T;
}

export const get = <T = any>(url: string, signal?: AbortSignal) => api<T>('GET', url, undefined, { signal });

/** query string from an object, skipping empty values; arrays repeat the key */
export function qs(params: Record<string, string | number | boolean | string[] | null | undefined>): string {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === '') continue;
    if (Array.isArray(v)) v.forEach((x) => out.append(k, x));
    else out.set(k, String(v));
  }
  const s = out.toString();
  return s ? `?${s}` : '';
}

export const enc = encodeURIComponent;
