/**
 * A standalone run as users run it (`node packages/server/bin/updraft.js standalone`)
 * in its own process, and what /proc says about its process tree: for the
 * footprint and API scenarios, where the server must not share the benchmark's
 * event loop.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../packages/server/src/db/embedded.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ADMIN_PASSWORD = 'bench';

export interface SpawnedStandalone {
  child: ChildProcess;
  url: string;
  /** ms from spawn until /api/v2/monitor/health reports healthy with heartbeats of this process */
  healthyAfterMs: number;
  /** ms from spawn until /api/v2/monitor/health first said healthy, whoever's heartbeats (after a restart
   *  the previous process's are still less than a minute old, so this can come before our own components run) */
  firstHealthyAnswerMs: number;
  /** SIGTERM, then wait for the process to exit; ms it took */
  stop(): Promise<number>;
  token(): Promise<string>;
}

export function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null });
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
  });
}

/** Healthy = the database answers and the scheduler and DAG processor have recent heartbeats (what a probe waits for). */
function healthy(body: any): boolean {
  return body?.metadatabase?.status === 'healthy' && body?.scheduler?.status === 'healthy' && body?.dag_processor?.status === 'healthy';
}

/** Healthy, and both heartbeats written since `since` (ms since the epoch), i.e. by the process we started. */
function healthySince(body: any, since: number): boolean {
  const at = (iso: unknown) => (typeof iso === 'string' ? Date.parse(iso) : 0);
  return healthy(body) && at(body.scheduler.latest_scheduler_heartbeat) >= since && at(body.dag_processor.latest_dag_processor_heartbeat) >= since;
}

export async function spawnStandalone(home: string, env: Record<string, string> = {}, timeoutMs = 120_000): Promise<SpawnedStandalone> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const startedWall = Date.now() - 1; // the database stamps heartbeats in ms; the same clock on one machine
  const child = spawn(process.execPath, [path.join(ROOT, 'packages/server/bin/updraft.js'), 'standalone', '--port', String(port)], {
    cwd: home,
    env: { ...process.env, UPDRAFT_HOME: home, UPDRAFT_ADMIN_PASSWORD: ADMIN_PASSWORD, UPDRAFT__LOGGING__LOGGING_LEVEL: 'ERROR', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let healthyAfterMs = -1;
  let firstHealthyAnswerMs = -1;
  while (performance.now() - started < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`the standalone exited with ${child.exitCode} before it was healthy:\n${stderr}`);
    const res = await getJson(`${url}/api/v2/monitor/health`).catch(() => null);
    if (res?.status === 200 && firstHealthyAnswerMs < 0 && healthy(res.body)) firstHealthyAnswerMs = performance.now() - started;
    if (res?.status === 200 && healthySince(res.body, startedWall)) {
      healthyAfterMs = performance.now() - started;
      break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  if (healthyAfterMs < 0) {
    child.kill('SIGKILL');
    throw new Error(`the standalone was not healthy within ${timeoutMs} ms:\n${stderr}`);
  }
  return {
    child,
    url,
    healthyAfterMs,
    firstHealthyAnswerMs,
    async stop() {
      const t = performance.now();
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      return performance.now() - t;
    },
    async token() {
      const res = await fetch(`${url}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
      if (res.status !== 201 && res.status !== 200) throw new Error(`login answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { access_token: string }).access_token;
    },
  };
}

export interface ProcessMemory {
  pid: number;
  command: string;
  rss_mb: number;
  /** proportional set size: shared pages divided among the processes sharing them */
  pss_mb: number | null;
}

function parentOf(pid: number): number | null {
  try {
    // the command name (field 2) is in parentheses and may hold spaces: read after the last ')'
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

/** pid and all its descendants, from /proc. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = parentOf(Number(entry));
    if (ppid !== null) children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length) {
    const pid = todo.pop() as number;
    if (!fs.existsSync(`/proc/${pid}`)) continue;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

function kb(text: string, field: string): number | null {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) : null;
}

export function memoryOf(pids: number[]): ProcessMemory[] {
  const out: ProcessMemory[] = [];
  for (const pid of pids) {
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      const rss = kb(status, 'VmRSS');
      if (rss === null) continue; // a zombie or kernel thread
      let pss: number | null = null;
      try {
        pss = kb(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss');
      } catch {
        // smaps_rollup needs the same user or root
      }
      const command = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ').slice(0, 120);
      out.push({ pid, command, rss_mb: rss / 1024, pss_mb: pss === null ? null : pss / 1024 });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** The postmaster's pid from the data folder of an embedded PostgreSQL ($UPDRAFT_HOME/db). */
export function postmasterPid(home: string): number | null {
  try {
    return Number(fs.readFileSync(path.join(fs.realpathSync(path.join(home, 'db')), 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return null;
  }
}
