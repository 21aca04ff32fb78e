/**
 * Airflow's two text forms of a connection, both ways:
 *
 * - URI: `conn-type://login:password@host:port/schema?key=value`, each part
 *   percent-encoded; extra as query parameters when they are all strings,
 *   otherwise as one `__extra__` parameter holding the JSON; a host with its
 *   own protocol as `conn-type://https://host`. `-` in the scheme is `_` in
 *   the type (URI schemes cannot hold `_`), and `postgresql` means `postgres`.
 * - JSON: `{"conn_type": …, "host": …, "port": 5432, "extra": {…}}`.
 *
 * Used for AIRFLOW_CONN_* / UPDRAFT_CONN_* variables, `connections add
 * --conn-uri/--conn-json`, import files and `connections get`.
 */

import type { ConnectionInfo } from '@updraft/sdk/runtime';

/** Every field of a connection but its id (the fields task code sees, less the parsed extra, plus a description). */
export type ConnectionFields = Omit<ConnectionInfo, 'conn_id' | 'extra_dejson'> & { description: string | null };

export class ConnectionFormatError extends Error {}

const EXTRA_KEY = '__extra__';

export function emptyConnection(connType: string): ConnectionFields {
  return { conn_type: connType, description: null, host: null, schema: null, login: null, password: null, port: null, extra: null };
}

/** Python's urllib.parse.quote(s, safe=''): encodeURIComponent leaves !'()* alone, Python does not. */
function quote(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Percent-decoding that keeps malformed escapes as they are (as Python's unquote does) instead of throwing. */
function unquote(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s.replace(/(%[0-9a-fA-F]{2})+/g, (m) => {
      try {
        return decodeURIComponent(m);
      } catch {
        return m;
      }
    });
  }
}

/** application/x-www-form-urlencoded, as Python's urlencode / parse_qsl use it. */
function formEncode(s: string): string {
  return quote(s).replace(/%20/g, '+');
}
function formDecode(s: string): string {
  return unquote(s.replace(/\+/g, ' '));
}

function normalizeConnType(scheme: string): string {
  if (scheme === 'postgresql') return 'postgres';
  return scheme.replace(/-/g, '_');
}

/** Splits the netloc `login:password@host:port` as Python's urlsplit does (the last @ ends the credentials). */
function splitNetloc(netloc: string, uri: string) {
  const at = netloc.lastIndexOf('@');
  const userinfo = at === -1 ? null : netloc.slice(0, at);
  const hostport = at === -1 ? netloc : netloc.slice(at + 1);
  let login: string | null = null;
  let password: string | null = null;
  if (userinfo !== null) {
    const colon = userinfo.indexOf(':');
    login = colon === -1 ? userinfo : userinfo.slice(0, colon);
    password = colon === -1 ? null : userinfo.slice(colon + 1);
  }
  let host: string;
  let portText: string;
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    host = hostport.slice(1, close === -1 ? undefined : close);
    portText = close === -1 ? '' : hostport.slice(close + 1).replace(/^:/, '');
  } else {
    const colon = hostport.indexOf(':');
    host = colon === -1 ? hostport : hostport.slice(0, colon);
    portText = colon === -1 ? '' : hostport.slice(colon + 1);
  }
  let port: number | null = null;
  if (portText !== '') {
    if (!/^\d+$/.test(portText) || Number(portText) > 65535) throw new ConnectionFormatError(`Invalid port '${portText}' in connection URI ${redactUri(uri)}`);
    port = Number(portText);
  }
  return { login: login ? unquote(login) : login, password: password ? unquote(password) : password, host, port };
}

/** The URI with its password hidden, for error messages. */
function redactUri(uri: string): string {
  return uri.replace(/^([^:]+:\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}

export function parseConnectionUri(uri: string): ConnectionFields {
  const schemes = uri.split('://').length - 1;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(uri)?.[1];
  if (!scheme || schemes > 2) throw new ConnectionFormatError(`Invalid connection URI ${redactUri(uri)}: expected conn-type://login:password@host:port/schema?extra=value`);
  let rest = uri.slice(scheme.length + 3);

  // conn-type://https://host…: the host keeps its own protocol
  let protocol: string | null = null;
  if (schemes === 2) {
    const [before, after] = [rest.slice(0, rest.indexOf('://')), rest.slice(rest.indexOf('://') + 3)];
    if (before.includes('@') || before.includes(':') || before.includes('/')) throw new ConnectionFormatError(`Invalid connection URI ${redactUri(uri)}`);
    protocol = before;
    rest = after;
  }

  const hash = rest.indexOf('#');
  if (hash !== -1) rest = rest.slice(0, hash);
  const q = rest.indexOf('?');
  const query = q === -1 ? '' : rest.slice(q + 1);
  const beforeQuery = q === -1 ? rest : rest.slice(0, q);
  const slash = beforeQuery.indexOf('/');
  const netloc = slash === -1 ? beforeQuery : beforeQuery.slice(0, slash);
  const path = slash === -1 ? '' : beforeQuery.slice(slash + 1);

  const { login, password, host, port } = splitNetloc(netloc, uri);
  // Python's urlsplit lowercases the hostname and Airflow keeps that, except
  // for a percent-encoded path standing as the host (sqlite, files): case kept
  const lowered = unquote(host.toLowerCase());
  const hostname = lowered.includes('/') ? unquote(host) : lowered;
  const c = emptyConnection(normalizeConnType(scheme.toLowerCase()));
  c.host = hostname ? (protocol ? `${protocol}://${hostname}` : hostname) : protocol ? `${protocol}://` : null;
  c.schema = path ? unquote(path) : null;
  c.login = login || null;
  c.password = password || null;
  c.port = port;
  if (query) {
    const params: Record<string, string> = {};
    for (const pair of query.split('&')) {
      if (!pair) continue;
      const eq = pair.indexOf('=');
      params[formDecode(eq === -1 ? pair : pair.slice(0, eq))] = formDecode(eq === -1 ? '' : pair.slice(eq + 1));
    }
    c.extra = EXTRA_KEY in params ? params[EXTRA_KEY] : JSON.stringify(params);
  }
  return c;
}

/** `maskPassword`: show the password as *** (for display; such a URI does not log in). */
export function connectionToUri(c: Omit<ConnectionFields, 'description'>, options: { maskPassword?: boolean } = {}): string {
  let uri = `${c.conn_type.toLowerCase().replace(/_/g, '-')}://`;
  let host = c.host;
  if (host && host.includes('://')) {
    const [protocol, rest] = [host.slice(0, host.indexOf('://')), host.slice(host.indexOf('://') + 3)];
    uri += `${protocol}://`;
    host = rest;
  }
  let authority = '';
  if (c.login !== null) authority += quote(c.login);
  if (c.password !== null) authority += `:${options.maskPassword ? '***' : quote(c.password)}`;
  if (authority) uri += `${authority}@`;
  let hostBlock = host ? quote(host) : '';
  if (c.port) hostBlock += hostBlock === '' && authority === '' ? `@:${c.port}` : `:${c.port}`;
  if (c.schema) hostBlock += `/${quote(c.schema)}`;
  uri += hostBlock;
  if (c.extra) {
    let params: Record<string, unknown> | null = null;
    try {
      const parsed = JSON.parse(c.extra);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) params = parsed;
    } catch {
      // not JSON: carried whole in __extra__
    }
    const flat = params && Object.values(params).every((v) => typeof v === 'string');
    const query = flat
      ? Object.entries(params as Record<string, string>).map(([k, v]) => `${formEncode(k)}=${formEncode(v)}`).join('&')
      : `${EXTRA_KEY}=${formEncode(c.extra)}`;
    if (query) uri += `${c.schema ? '?' : '/?'}${query}`;
  }
  return uri;
}

const JSON_FIELDS = new Set(['conn_type', 'description', 'host', 'schema', 'login', 'password', 'port', 'extra']);

/**
 * A connection from its JSON form (text or already parsed): Airflow's
 * fields, `extra` as an object or as JSON text, `port` as a number or digits.
 */
export function parseConnectionJson(input: string | Record<string, unknown>): ConnectionFields {
  let obj: unknown = input;
  if (typeof input === 'string') {
    try {
      obj = JSON.parse(input);
    } catch (err) {
      throw new ConnectionFormatError(`Connection JSON is not valid JSON: ${(err as Error).message}`);
    }
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new ConnectionFormatError('Connection JSON must be an object such as {"conn_type": "postgres", "host": "…"}');
  const o = obj as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !JSON_FIELDS.has(k) && k !== 'conn_id' && k !== 'extra_dejson');
  if (unknown.length) throw new ConnectionFormatError(`Unknown connection field(s) ${unknown.join(', ')}: expected ${[...JSON_FIELDS].join(', ')}`);
  if (typeof o.conn_type !== 'string' || !o.conn_type) throw new ConnectionFormatError('conn_type is required (a string such as "postgres" or "http")');
  const c = emptyConnection(o.conn_type);
  for (const field of ['description', 'host', 'schema', 'login', 'password'] as const) {
    const v = o[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') throw new ConnectionFormatError(`${field} must be a string`);
    c[field] = v;
  }
  if (o.port !== undefined && o.port !== null && o.port !== '') {
    const port = typeof o.port === 'string' && /^\d+$/.test(o.port) ? Number(o.port) : o.port;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) throw new ConnectionFormatError(`port must be an integer, got ${JSON.stringify(o.port)}`);
    c.port = port;
  }
  const extra = o.extra ?? o.extra_dejson;
  if (extra !== undefined && extra !== null) c.extra = typeof extra === 'string' ? extra : JSON.stringify(extra);
  return c;
}

/** The JSON form: fields that are set, extra as an object when it is JSON. */
export function connectionToJson(c: ConnectionFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c)) {
    if (v === null || v === '') continue;
    if (k === 'extra') {
      try {
        out.extra = JSON.parse(v as string);
      } catch {
        out.extra = v;
      }
    } else out[k] = v;
  }
  return out;
}

/** Either form: JSON when it starts with `{`, otherwise a URI (how Airflow reads AIRFLOW_CONN_*). */
export function parseConnectionText(text: string): ConnectionFields {
  return text.trimStart().startsWith('{') ? parseConnectionJson(text) : parseConnectionUri(text.trim());
}
