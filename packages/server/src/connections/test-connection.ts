/**
 * "Test connection" for the connection types Updraft can reach by itself:
 * postgres (connect and SELECT 1), http/https (a GET on the base URL), and
 * fs/file (the path exists). Other types answer status false, saying so.
 */
import fs from 'node:fs';
import pg from 'pg';
import type { ConnectionFields } from './uri.ts';

export interface ConnectionTestResult {
  status: boolean;
  message: string;
}

const TIMEOUT_MS = 10_000;
const OK = 'Connection successfully tested';

function extraOf(c: ConnectionFields): Record<string, unknown> {
  try {
    const parsed = c.extra ? JSON.parse(c.extra) : {};
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

async function testPostgres(c: ConnectionFields): Promise<ConnectionTestResult> {
  const client = new pg.Client({
    host: c.host ?? 'localhost',
    port: c.port ?? 5432,
    user: c.login ?? undefined,
    password: c.password ?? undefined,
    database: c.schema || undefined,
    connectionTimeoutMillis: TIMEOUT_MS,
    statement_timeout: TIMEOUT_MS,
  });
  // a server dropping the connection emits 'error' on the client; the query reports it
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { status: true, message: OK };
  } catch (err) {
    return { status: false, message: (err as Error).message };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Airflow's HttpHook base URL: the host (which may carry its protocol), the schema as protocol, then the port. */
export function httpBaseUrl(c: ConnectionFields): string {
  const host = c.host ?? '';
  if (host.includes('://')) return `${host}${c.port ? `:${c.port}` : ''}`;
  const protocol = c.schema === 'https' || c.schema === 'http' ? c.schema : c.conn_type === 'https' ? 'https' : 'http';
  return `${protocol}://${host}${c.port ? `:${c.port}` : ''}`;
}

async function testHttp(c: ConnectionFields): Promise<ConnectionTestResult> {
  if (!c.host) return { status: false, message: 'The connection has no host' };
  const url = httpBaseUrl(c);
  const headers: Record<string, string> = {};
  if (c.login !== null) headers.authorization = `Basic ${Buffer.from(`${c.login}:${c.password ?? ''}`).toString('base64')}`;
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'follow' });
    await res.body?.cancel();
    return res.ok ? { status: true, message: OK } : { status: false, message: `GET ${url} answered ${res.status} ${res.statusText}` };
  } catch (err) {
    const cause = (err as Error & { cause?: Error }).cause;
    return { status: false, message: `GET ${url} failed: ${cause?.message ?? (err as Error).message}` };
  }
}

function testPath(c: ConnectionFields): ConnectionTestResult {
  const p = extraOf(c).path ?? c.host;
  if (typeof p !== 'string' || !p) return { status: false, message: 'The connection names no path (set extra {"path": "/some/folder"})' };
  return fs.existsSync(p) ? { status: true, message: `Path ${p} exists` } : { status: false, message: `Path ${p} does not exist` };
}

export async function testConnection(c: ConnectionFields): Promise<ConnectionTestResult> {
  switch (c.conn_type) {
    case 'postgres':
    case 'postgresql':
      return testPostgres(c);
    case 'http':
    case 'https':
      return testHttp(c);
    case 'fs':
    case 'file':
      return testPath(c);
    default:
      return { status: false, message: `Updraft cannot test connections of type '${c.conn_type}' (it tests postgres, http, https, fs and file)` };
  }
}
