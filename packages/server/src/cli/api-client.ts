/**
 * The CLI as a client of the REST API: with `--api-url URL` (or
 * UPDRAFT_API_URL) commands call that api-server instead of opening the
 * local database. The token comes from UPDRAFT_API_TOKEN or from
 * `updraft auth login`, which keeps one per server in
 * $XDG_CONFIG_HOME/updraft/credentials.json (readable by its owner only).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CliError } from './errors.ts';

let apiUrlFromFlag: string | undefined;

/** Set from the global --api-url flag before each command runs. */
export function setApiUrl(url: string | undefined) {
  apiUrlFromFlag = url;
}

export function apiUrl(): string | null {
  const url = (apiUrlFromFlag ?? process.env.UPDRAFT_API_URL ?? '').trim();
  if (!url) return null;
  if (!/^https?:\/\/[^/]+/.test(url)) throw new CliError(`--api-url must be an http(s) URL such as http://host:8080, not '${url}'`);
  return url.replace(/\/+$/, '');
}

export function credentialsFile(): string {
  const base = process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'updraft', 'credentials.json');
}

function readCredentials(): Record<string, { token: string; username: string }> {
  try {
    return JSON.parse(fs.readFileSync(credentialsFile(), 'utf8')) as Record<string, { token: string; username: string }>;
  } catch {
    return {};
  }
}

export function saveToken(url: string, username: string, token: string) {
  const file = credentialsFile();
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const all = { ...readCredentials(), [url]: { username, token } };
  fs.writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}

export function forgetToken(url: string): boolean {
  const all = readCredentials();
  if (!all[url]) return false;
  delete all[url];
  fs.writeFileSync(credentialsFile(), `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
  return true;
}

/** A message from an API error body: FastAPI's {"detail": "…"} or {"detail": [{"msg": …}]}. */
function detailOf(body: unknown): string {
  const detail = (body as { detail?: unknown } | null)?.detail;
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) return detail.map((d: { msg?: string; loc?: unknown[] }) => `${d.msg ?? JSON.stringify(d)}`).join('; ');
  return typeof body === 'string' ? body : JSON.stringify(body);
}

export class ApiClient {
  readonly url: string;
  private readonly token: string | null;

  constructor(url: string, token: string | null) {
    this.url = url;
    this.token = token;
  }

  async request<T = any>(method: string, pathAndQuery: string, body?: unknown, accept = 'application/json'): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${pathAndQuery}`, {
        method,
        headers: {
          accept,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new CliError(`Cannot reach the api-server at ${this.url}: ${(err as Error).cause ? String((err as { cause: Error }).cause.message) : (err as Error).message}`);
    }
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
    if (res.status === 401) throw new CliError(`Not authenticated at ${this.url} (${detailOf(parsed)}): run \`updraft auth login --api-url ${this.url}\` or set UPDRAFT_API_TOKEN`);
    if (res.status >= 400) throw new CliError(`${detailOf(parsed)} (HTTP ${res.status})`);
    return parsed as T;
  }

  get = <T = any>(p: string) => this.request<T>('GET', p);
  post = <T = any>(p: string, body: unknown = {}) => this.request<T>('POST', p, body);
  patch = <T = any>(p: string, body: unknown = {}) => this.request<T>('PATCH', p, body);
  delete = (p: string) => this.request('DELETE', p);
}

/** The API client when an API URL is configured, else null (the command works on the local installation). */
export function remoteApi(): ApiClient | null {
  const url = apiUrl();
  if (!url) return null;
  const token = process.env.UPDRAFT_API_TOKEN || readCredentials()[url]?.token || null;
  return new ApiClient(url, token);
}

/** A path segment: ids may hold `/`, `+`, `:` (run ids do). */
export const seg = (s: string) => encodeURIComponent(s);
