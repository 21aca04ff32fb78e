/**
 * Contract checking for the public REST API: every response a test receives
 * through `ContractClient` is validated against Airflow's OpenAPI document
 * (`shared/spec/airflow-rest-api-v2.yaml`) — the status code must be one the
 * operation declares, and a JSON body must match that status's schema
 * (required fields, types, formats, enums). openapi-backend does the routing
 * and the ajv validation; the spec marks optional values with `nullable`, which
 * ajv understands.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OpenAPIBackend, type Operation } from 'openapi-backend';

export const SPEC_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/spec/airflow-rest-api-v2.yaml');

const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// ISO 8601 durations as pydantic writes them (P1DT2H3M4.5S)
const DURATION = /^-?P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$/;

export interface ApiResponse {
  status: number;
  body: any;
  contentType: string;
  headers: Headers;
}

let loaded: Promise<OpenAPIBackend> | null = null;

const options = {
  validate: true,
  quick: true,
  ajvOpts: { strict: false, allErrors: true },
  customizeAjv: (ajv: import('ajv').default) => {
    ajv.addFormat('date-time', { type: 'string', validate: (s: string) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)) });
    ajv.addFormat('uuid', { type: 'string', validate: (s: string) => UUID.test(s) });
    ajv.addFormat('duration', { type: 'string', validate: (s: string) => DURATION.test(s) });
    return ajv;
  },
};

async function loadSpec(): Promise<OpenAPIBackend> {
  // openapi-backend reads the YAML and resolves $refs; its validators then turn any object met twice
  // into a $ref of their own, which breaks on shared (non-cyclic) schemas such as BulkActionResponse.
  // A JSON copy of the resolved document shares nothing, so it is the one the validators get.
  const reader = await new OpenAPIBackend({ ...options, definition: SPEC_PATH }).init();
  const unshared = JSON.parse(JSON.stringify(reader.definition));
  return new OpenAPIBackend({ ...options, definition: unshared }).init();
}

function spec(): Promise<OpenAPIBackend> {
  loaded ??= loadSpec();
  return loaded;
}

export class Contract {
  readonly api: OpenAPIBackend;
  /** operationId → status codes seen, for the coverage report */
  readonly covered = new Map<string, Set<number>>();

  private constructor(api: OpenAPIBackend) {
    this.api = api;
  }

  static async load(): Promise<Contract> {
    return new Contract(await spec());
  }

  operation(method: string, url: string): Operation | undefined {
    const u = new URL(url, 'http://x');
    return this.api.router.matchOperation({ method: method.toLowerCase(), path: u.pathname, headers: {}, query: Object.fromEntries(u.searchParams) });
  }

  /** Fails the test unless the response is one the spec allows for this request. */
  check(method: string, url: string, res: ApiResponse): void {
    const op = this.operation(method, url);
    const where = `${method} ${url} → ${res.status} ${JSON.stringify(res.body)?.slice(0, 400)}`;
    if (!op) {
      // an operation the spec does not have: only "not found" is acceptable
      assert.equal(res.status, 404, `not in the spec, so it must be 404: ${where}`);
      return;
    }
    const seen = this.covered.get(op.operationId as string) ?? new Set<number>();
    seen.add(res.status);
    this.covered.set(op.operationId as string, seen);
    const declared = Object.keys(op.responses ?? {});
    assert.ok(declared.includes(String(res.status)) || declared.includes('default'), `${op.operationId} does not declare status ${res.status} (declares ${declared.join(', ')}): ${where}`);
    if (res.status === 204) return;
    if (!res.contentType.includes('application/json')) {
      const content = (op.responses?.[String(res.status)] as { content?: Record<string, unknown> } | undefined)?.content ?? {};
      const type = res.contentType.split(';')[0].trim();
      assert.ok(type in content, `${op.operationId} ${res.status} does not declare content type ${type}: ${where}`);
      return;
    }
    const result = this.api.validator.validateResponse(res.body, op, res.status);
    assert.ok(result.valid && !result.errors?.length, `${op.operationId} ${res.status} body does not match the spec: ${JSON.stringify(result.errors?.slice(0, 5))} in ${where}`);
  }
}

/** Requests that change nothing although they are not GETs: batch lists, dry runs, the connection test, the wait stream. */
function isReadOnly(url: string, body: unknown): boolean {
  const path = url.split('?')[0];
  return /\/(list|dry_run)$/.test(path) || path.endsWith('/connections/test') || (body as { dry_run?: unknown } | undefined)?.dry_run === true || (/\/clear(TaskInstances)?$/.test(path) && (body as { dry_run?: unknown } | undefined)?.dry_run !== false);
}

/** A client for a running api-server whose every answer is checked against the contract. */
export class ContractClient {
  readonly contract: Contract;
  readonly baseUrl: string;
  token: string | null;

  constructor(contract: Contract, baseUrl: string, token: string | null) {
    this.contract = contract;
    this.baseUrl = baseUrl;
    this.token = token;
  }

  withToken(token: string | null): ContractClient {
    return new ContractClient(this.contract, this.baseUrl, token);
  }

  /** Sends the request without checking the answer (bad-input tests that leave the contract on purpose). */
  async raw(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
    const res = await fetch(`${this.baseUrl}${url}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      // a redirect is an answer to check, not to follow
      redirect: 'manual',
    });
    const text = await res.text();
    const contentType = res.headers.get('content-type') ?? '';
    let parsed: unknown = text;
    if (contentType.includes('application/json') && text) parsed = JSON.parse(text);
    return { status: res.status, body: parsed, contentType, headers: res.headers };
  }

  /** when set, every successful change must add a row to the audit log (Airflow's `log`, served as eventLogs) */
  auditLog: { query: (sql: string) => Promise<{ rows: { n: number }[] }> } | null = null;

  async call(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
    const changes = this.auditLog && method !== 'GET' && !isReadOnly(url, body);
    const logged = async () => (await this.auditLog!.query("SELECT count(*)::int AS n FROM log WHERE event NOT LIKE 'login%'")).rows[0].n;
    const before = changes ? await logged() : 0;
    const res = await this.raw(method, url, body, headers);
    this.contract.check(method, url, res);
    if (changes && res.status >= 200 && res.status < 300) {
      assert.ok((await logged()) > before, `${method} ${url} changed something without an audit log entry`);
    }
    return res;
  }

  get = (url: string, headers?: Record<string, string>) => this.call('GET', url, undefined, headers);
  post = (url: string, body?: unknown, headers?: Record<string, string>) => this.call('POST', url, body ?? {}, headers);
  patch = (url: string, body?: unknown, headers?: Record<string, string>) => this.call('PATCH', url, body ?? {}, headers);
  put = (url: string, body?: unknown, headers?: Record<string, string>) => this.call('PUT', url, body ?? {}, headers);
  delete = (url: string, headers?: Record<string, string>) => this.call('DELETE', url, undefined, headers);

  /** Like `call`, and fails the test unless the status is `expected`. */
  async expect(expected: number, method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<any> {
    const res = await this.call(method, url, body, headers);
    assert.equal(res.status, expected, `${method} ${url} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  }
}

/** Operations of the spec, for the coverage report: every operationId by method and path. */
export function specOperations(contract: Contract): { operationId: string; method: string; path: string }[] {
  return contract.api.router.getOperations().map((o) => ({ operationId: o.operationId as string, method: o.method, path: o.path }));
}

/** Everything a refused API call could have changed, to compare before and after. */
export async function dbSnapshot(pool: { query: (sql: string) => Promise<{ rows: unknown[] }> }) {
  const q = async (sql: string) => (await pool.query(sql)).rows;
  return {
    dags: await q('SELECT dag_id, is_paused FROM dag ORDER BY dag_id'),
    runs: await q('SELECT dag_id, run_id, state, note FROM dag_run ORDER BY id'),
    tis: await q('SELECT dag_id, run_id, task_id, map_index, state, note FROM task_instance ORDER BY 1, 2, 3, 4'),
    variables: await q('SELECT key, val, description FROM variable ORDER BY key'),
    connections: await q('SELECT conn_id, conn_type, host FROM connection ORDER BY conn_id'),
    pools: await q('SELECT pool, slots, description FROM slot_pool ORDER BY pool'),
    users: await q('SELECT username, roles, password_hash FROM users ORDER BY username'),
    xcom: await q('SELECT dag_id, run_id, task_id, map_index, key FROM xcom ORDER BY 1, 2, 3, 4, 5'),
    // logins write their own audit rows; anything else would be a change
    log: await q("SELECT count(*)::int AS n FROM log WHERE event NOT LIKE 'login%'"),
  };
}
