/**
 * Test support: a real moto_server on a free loopback port (the AWS emulator
 * the project's machines have), its state manager, and a task runtime that
 * serves connections the way the Execution API does, for hooks and operators
 * called outside a full standalone.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import { setTaskRuntime, type ConnectionInfo, type TaskRuntime } from '@updraft/sdk';

export function motoMissing(): string | false {
  try {
    execFileSync('sh', ['-c', 'command -v moto_server'], { stdio: 'ignore' });
    return false;
  } catch {
    const reason = 'moto_server is not installed (pip install "moto[server]"): the AWS provider suite is skipped';
    console.log(`# ${reason}`);
    return reason;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Moto {
  endpoint: string;
  /** moto's state manager: how a model (glue::job_run, athena::execution …) moves between states */
  setTransition(model_name: string, transition: Record<string, unknown>): Promise<void>;
  /** moto's runtime configuration (lambda.use_docker, stepfunctions.execute_state_machine …) */
  setConfig(config: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ok = await fetch(`${endpoint}/moto-api/`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('moto_server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${endpoint}${path}`, { method: 'POST', body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`moto ${path} answered ${res.status}: ${await res.text()}`);
  };
  return {
    endpoint,
    setTransition: (model_name, transition) => post('/moto-api/state-manager/set-transition', { model_name, transition }),
    setConfig: (config) => post('/moto-api/config', config),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Credentials moto accepts; set so nothing in a test can reach a real account. */
export function useFakeAwsEnvironment(): void {
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' });
  delete process.env.AWS_PROFILE;
}

/** An `aws` connection pointing at the emulator. */
export function awsConnection(conn_id: string, endpoint: string, extra: Record<string, unknown> = {}): ConnectionInfo {
  const fullExtra = { region_name: 'us-east-1', endpoint_url: endpoint, ...extra };
  return { conn_id, conn_type: 'aws', host: null, schema: null, login: 'testing', password: 'testing', port: null, extra: JSON.stringify(fullExtra), extra_dejson: fullExtra };
}

export interface FakeRuntime extends TaskRuntime {
  logs: string[];
  xcoms: Record<string, unknown>;
}

/** A task runtime serving these connections and recording log lines and pushed XComs. */
export function installRuntime(connections: ConnectionInfo[]): FakeRuntime {
  const logs: string[] = [];
  const xcoms: Record<string, unknown> = {};
  const record = (level: string) => (message: string) => void logs.push(`${level} ${message}`);
  const runtime: FakeRuntime = {
    logs,
    xcoms,
    getVariable: async () => null,
    setVariable: async () => undefined,
    getConnection: async (id) => connections.find((c) => c.conn_id === id) ?? null,
    xcomPush: async (key, value) => void (xcoms[key] = value),
    xcomPull: async () => null,
    skip: async () => undefined,
    log: { debug: record('DEBUG'), info: record('INFO'), warning: record('WARNING'), error: record('ERROR') },
  };
  setTaskRuntime(runtime);
  return runtime;
}

/** The context execute()/poke() get from the task runner, reduced to what the provider reads. */
export function taskContext(runtime: FakeRuntime, extra: Record<string, unknown> = {}): import('@updraft/sdk').Context {
  const ti = {
    dag_id: 'd', task_id: 't', run_id: 'r', try_number: 1, map_index: -1, log: runtime.log,
    xcom_push: runtime.xcomPush, xcom_pull: async () => null,
  };
  return { ti, task_instance: ti, log: runtime.log, signal: new AbortController().signal, params: {}, ...extra } as unknown as import('@updraft/sdk').Context;
}
