/**
 * The task process's only line to Updraft: HTTP calls to the api-server's
 * Execution API with its try's token. Uses node:http with a kept-alive
 * connection rather than fetch(): fetch's first request in a fresh process
 * spends ~8 ms starting its parser, on every task's critical path.
 */
import { createRequire } from 'node:module';
import type { ConnectionInfo } from '@updraft/sdk/runtime';

// Required, not imported: an ES import of a builtin reads every export, and
// node:http's lazy WebSocket/MessageEvent exports then load undici — 20-35 ms
// of CPU in every task process (3 ms this way).
const requireBuiltin = createRequire(import.meta.url);
const http = requireBuiltin('node:http') as typeof import('node:http');
type Transport = { module: typeof import('node:http'); agent: import('node:http').Agent };
const plain: Transport = { module: http, agent: new http.Agent({ keepAlive: true, maxSockets: 4 }) };
// node:https (and TLS) only for an https api-server: ~2 ms of every process's boot otherwise
let secure: Transport | null = null;
function transportFor(url: URL): Transport {
  if (url.protocol !== 'https:') return plain;
  if (!secure) {
    const https = requireBuiltin('node:https') as typeof import('node:https');
    secure = { module: https as unknown as typeof import('node:http'), agent: new https.Agent({ keepAlive: true, maxSockets: 4 }) };
  }
  return secure;
}

function request(url: URL, method: string, headers: Record<string, string>, body: string | undefined): Promise<{ status: number; text: string }> {
  const transport = transportFor(url);
  return new Promise((resolve, reject) => {
    const req = transport.module.request(url, { method, headers, agent: transport.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Opens a kept-alive connection to the api-server while the process waits for
 * work, so the first call of a task does not pay for connecting.
 */
export async function preconnect(base: string): Promise<void> {
  try {
    await request(new URL(`${base.replace(/\/$/, '')}/api/v2/version`), 'GET', {}, undefined);
  } catch {
    // not reachable yet: the task's first call will connect (and retry)
  }
}

export class ExecutionApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface StartResponse {
  dag_run: {
    dag_id: string;
    run_id: string;
    run_type: string;
    logical_date: string | null;
    data_interval_start: string | null;
    data_interval_end: string | null;
    run_after: string;
    start_date: string | null;
    conf: Record<string, unknown>;
  };
  max_tries: number;
  /** [core] dag_run_conf_overrides_params of the api-server; absent means true (Airflow's default) */
  dag_run_conf_overrides_params?: boolean;
  prev_data_interval_start_success: string | null;
  prev_data_interval_end_success: string | null;
  /** the data interval of the scheduled run after this one; absent or null when there is none */
  next_data_interval?: { start: string; end: string } | null;
  /** a deferred task resumes here (null: a normal start); next_kwargs.event is the trigger's event */
  next_method?: string | null;
  next_kwargs?: Record<string, unknown> | null;
  /** a rescheduled sensor: when its first poke of this try started, and how many pokes came before */
  sensor_started_at?: string | null;
  sensor_poke_count?: number;
}

export interface DeferRequest {
  classpath: string;
  trigger_kwargs: Record<string, unknown>;
  next_method: string;
  next_kwargs: Record<string, unknown> | null;
  trigger_timeout_seconds: number | null;
}

export interface XComEntry {
  task_id: string;
  /** set when the entry may come from another run (lookups by logical date) */
  run_id?: string;
  map_index: number;
  key: string;
  value: unknown;
}

export interface VariableEntry {
  key: string;
  value: string;
  is_sensitive?: boolean;
}

export class ExecutionClient {
  private readonly base: string;
  private readonly token: string;

  constructor(base: string, token: string) {
    this.base = base.replace(/\/$/, '');
    this.token = token;
  }

  private async call(method: string, path: string, body?: unknown, allow404 = false): Promise<unknown> {
    let lastError: unknown;
    // A restarting api-server must not fail the task: retry connection errors briefly.
    for (let attempt = 0; attempt < 5; attempt++) {
      let res: { status: number; text: string };
      const payload = body === undefined ? undefined : JSON.stringify(body);
      try {
        res = await request(new URL(`${this.base}${path}`), method, {
          authorization: `Bearer ${this.token}`,
          ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }),
        }, payload);
      } catch (err) {
        lastError = err;
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
        continue;
      }
      if (res.status === 404 && allow404) return null;
      const text = res.text;
      if (res.status < 200 || res.status >= 300) {
        let detail = text;
        try {
          detail = (JSON.parse(text) as { detail?: string }).detail ?? text;
        } catch {
          // not JSON: keep the text
        }
        throw new ExecutionApiError(res.status, `${method} ${path} → ${res.status}: ${detail}`);
      }
      return text ? JSON.parse(text) : null;
    }
    throw new Error(`Cannot reach the api-server at ${this.base}: ${(lastError as Error)?.message}`);
  }

  start(tiId: string, hostname: string, pid: number): Promise<StartResponse> {
    return this.call('PATCH', `/execution/task-instances/${tiId}/run`, { hostname, pid }) as Promise<StartResponse>;
  }
  heartbeat(tiId: string): Promise<unknown> {
    return this.call('PUT', `/execution/task-instances/${tiId}/heartbeat`, {});
  }
  finish(tiId: string, state: 'success' | 'skipped' | 'failed', failWithoutRetry = false): Promise<unknown> {
    return this.call('PATCH', `/execution/task-instances/${tiId}/state`, { state, fail_without_retry: failWithoutRetry });
  }
  reschedule(tiId: string, rescheduleDate: Date): Promise<unknown> {
    return this.call('PATCH', `/execution/task-instances/${tiId}/state`, { state: 'up_for_reschedule', reschedule_date: rescheduleDate.toISOString() });
  }
  defer(tiId: string, request: DeferRequest): Promise<unknown> {
    return this.call('PATCH', `/execution/task-instances/${tiId}/state`, { state: 'deferred', ...request });
  }
  /** Skips task instances downstream of this try's task in its run (only those with no state yet). */
  async skipDownstream(tiId: string, taskIds: string[]): Promise<void> {
    await this.call('POST', `/execution/task-instances/${tiId}/skip-downstream`, { task_ids: taskIds });
  }
  renderedFields(tiId: string, fields: Record<string, unknown>): Promise<unknown> {
    return this.call('PUT', `/execution/task-instances/${tiId}/rendered-fields`, fields);
  }
  triggerDagRun(dagId: string, body: { run_id?: string | null; logical_date?: string | null; conf?: unknown; reset_dag_run?: boolean }): Promise<{ run_id: string; logical_date: string | null }> {
    return this.call('POST', `/execution/dag-runs/${encodeURIComponent(dagId)}`, body) as Promise<{ run_id: string; logical_date: string | null }>;
  }
  dagRunState(dagId: string, query: { run_id?: string; logical_date?: string }): Promise<{ dag_exists: boolean; run: { run_id: string; state: string } | null }> {
    return this.call('GET', `/execution/dag-runs/${encodeURIComponent(dagId)}/state?${new URLSearchParams(query)}`) as Promise<{ dag_exists: boolean; run: { run_id: string; state: string } | null }>;
  }
  taskStates(dagId: string, query: Record<string, string>): Promise<{ states: Record<string, (string | null)[]> }> {
    return this.call('GET', `/execution/task-states/${encodeURIComponent(dagId)}?${new URLSearchParams(query)}`) as Promise<{ states: Record<string, (string | null)[]> }>;
  }
  /** is_sensitive: the api-server judges the name (Airflow's list plus [core] sensitive_var_conn_names) */
  getVariable(key: string): Promise<VariableEntry | null> {
    return this.call('GET', `/execution/variables/${encodeURIComponent(key)}`, undefined, true) as Promise<VariableEntry | null>;
  }
  async setVariable(key: string, value: string, description?: string | null): Promise<void> {
    await this.call('PUT', `/execution/variables/${encodeURIComponent(key)}`, { value, description: description ?? null });
  }
  getConnection(connId: string): Promise<ConnectionInfo | null> {
    return this.call('GET', `/execution/connections/${encodeURIComponent(connId)}`, undefined, true) as Promise<ConnectionInfo | null>;
  }
  async pushXCom(dagId: string, runId: string, taskId: string, mapIndex: number, key: string, value: unknown): Promise<void> {
    const path = `/execution/xcoms/${encodeURIComponent(dagId)}/${encodeURIComponent(runId)}/${encodeURIComponent(taskId)}/${encodeURIComponent(key)}?map_index=${mapIndex}`;
    await this.call('POST', path, { value });
  }
  /**
   * XComs of `dagId`'s run whose logical date (run_after when it has none) is
   * `date`; with includePriorDates, the latest value of each task, map index
   * and key among its runs up to `date`.
   */
  async lookupXComs(dagId: string, date: string, includePriorDates: boolean): Promise<XComEntry[]> {
    const query = new URLSearchParams({ logical_date: date, include_prior_dates: String(includePriorDates) });
    return (await this.call('GET', `/execution/xcoms/${encodeURIComponent(dagId)}?${query}`)) as XComEntry[];
  }
  async listRunXComs(dagId: string, runId: string): Promise<XComEntry[]> {
    return (await this.call('GET', `/execution/xcoms/${encodeURIComponent(dagId)}/${encodeURIComponent(runId)}`)) as XComEntry[];
  }
}
