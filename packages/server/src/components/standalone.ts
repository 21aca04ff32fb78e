/**
 * Runs the components of one Updraft installation in this process: database
 * (embedded unless configured), migrations, api-server, DAG processor,
 * scheduler with the local executor. Each component can also run alone
 * (`updraft scheduler`, `updraft api-server`, `updraft dag-processor`).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config.ts';
import { buildApp } from '../api/app.ts';
import { DagCallbackRunner } from '../callbacks/runner.ts';
import { DagProcessor } from '../dag-processing/processor.ts';
import { type Database, openDatabase } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { findUser, upsertUser } from '../db/sql/users.ts';
import { LocalExecutor } from '../executors/local.ts';
import { ensureRunnerBundle } from '../executors/runner-bundle.ts';
import { Scheduler } from '../scheduler/scheduler.ts';
import { Triggerer } from '../triggerer/triggerer.ts';
import { ensureFernetKey } from '../security/fernet-key-file.ts';
import { jwtSecret } from '../security/secret.ts';
import { createLogger } from '../util/logger.ts';
import { acquireHomeLock, type HomeLock } from './home-lock.ts';

export interface RunningComponents {
  db: Database;
  app: FastifyInstance | null;
  url: string;
  scheduler: Scheduler | null;
  processor: DagProcessor | null;
  triggerer: Triggerer | null;
  /** stopEmbedded: also stop the embedded PostgreSQL (standalone does; a lone component leaves it to its siblings) */
  stop(options?: { stopEmbedded?: boolean }): Promise<void>;
}

export interface ComponentSelection {
  apiServer?: boolean;
  scheduler?: boolean;
  dagProcessor?: boolean;
  triggerer?: boolean;
  /** hold $UPDRAFT_HOME/standalone.lock (one standalone per home) */
  lockHome?: boolean;
  /** print the admin password and create the admin user */
  createAdmin?: boolean;
}

export function apiBaseUrl(config: Config, port: number): string {
  const configured = config.str('api', 'base_url');
  if (configured) return configured.replace(/\/$/, '');
  const host = config.str('api', 'host');
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/** Creates `admin` with $UPDRAFT_ADMIN_PASSWORD, or a generated password printed once and saved under $UPDRAFT_HOME. */
async function ensureAdmin(db: Database, config: Config, print: (line: string) => void) {
  const file = path.join(config.home, 'standalone_admin_password.txt');
  const fromEnv = process.env.UPDRAFT_ADMIN_PASSWORD;
  if (fromEnv) {
    await upsertUser(db.pool, 'admin', fromEnv);
    print('Login with username: admin and the password in $UPDRAFT_ADMIN_PASSWORD');
    return;
  }
  if ((await findUser(db.pool, 'admin')) && fs.existsSync(file)) {
    print(`Login with username: admin  password: ${fs.readFileSync(file, 'utf8').trim()}  (from ${file})`);
    return;
  }
  const password = crypto.randomBytes(12).toString('base64url');
  await upsertUser(db.pool, 'admin', password);
  fs.writeFileSync(file, `${password}\n`, { mode: 0o600 });
  print(`Login with username: admin  password: ${password}  (saved in ${file})`);
}

export async function startComponents(config: Config, which: ComponentSelection, print: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<RunningComponents> {
  const level = config.str('logging', 'logging_level');
  let lock: HomeLock | null = null;
  if (which.lockHome) lock = acquireHomeLock(config.home);
  let db: Database | null = null;
  let app: FastifyInstance | null = null;
  let scheduler: Scheduler | null = null;
  let processor: DagProcessor | null = null;
  let callbackRunner: DagCallbackRunner | null = null;
  let executor: LocalExecutor | null = null;
  let triggerer: Triggerer | null = null;
  const stop = async ({ stopEmbedded = !!which.lockHome }: { stopEmbedded?: boolean } = {}) => {
    await app?.close().catch(() => undefined);
    await processor?.stop().catch(() => undefined);
    await callbackRunner?.stop().catch(() => undefined);
    await triggerer?.stop().catch(() => undefined);
    await scheduler?.stop().catch(() => undefined);
    await executor?.stop().catch(() => undefined);
    // A component run on its own (scheduler, api-server…) shares the embedded
    // database with its siblings, so it leaves it running; standalone owns it.
    await db?.close({ stopEmbedded }).catch(() => undefined);
    lock?.release();
  };
  try {
    // first start: generate the key that encrypts Variables and connection secrets
    config = ensureFernetKey(config, (file) => print(`Generated [core] fernet_key in ${file}`));
    db = await openDatabase(config, { adoptEmbedded: !!which.lockHome });
    await migrate(db.pool, { defaultPoolSlots: config.int('core', 'default_pool_task_slot_count') });
    const secret = jwtSecret(config);
    if (which.createAdmin) await ensureAdmin(db, config, print);

    let port = config.int('api', 'port');
    const wake = () => scheduler?.wake();
    const wakeForRun = () => scheduler?.wake(true);
    if (which.apiServer) {
      app = buildApp({ pool: db.pool, config, secret, onStateChange: wake, onRunCreated: wakeForRun, onDeferred: () => triggerer?.wake() });
      try {
        await app.listen({ host: config.str('api', 'host'), port });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw new Error(`Port ${port} on ${config.str('api', 'host')} is already in use: stop what uses it or choose another with --port or [api] port`, { cause: err });
        throw err;
      }
      port = (app.server.address() as { port: number }).port;
    }
    const url = apiBaseUrl(config, port);
    if (which.dagProcessor) {
      processor = new DagProcessor({ pool: db.pool, config, log: createLogger('dag-processor', level), onParsed: wake });
      await processor.start();
      // DAG callbacks run beside the DAG processor, where Airflow runs them
      callbackRunner = new DagCallbackRunner({ pool: db.pool, config, log: createLogger('dag-processor', level), execution: { apiUrl: url, secret } });
      await callbackRunner.start();
    }
    if (which.scheduler) {
      const runnerEntry = (await ensureRunnerBundle()) ?? undefined;
      executor = new LocalExecutor({ parallelism: config.int('core', 'parallelism'), warmProcesses: config.int('scheduler', 'standalone_warm_processes'), runnerEntry, apiUrl: url, home: config.home });
      scheduler = new Scheduler({ pool: db.pool, config, executor, secret, apiUrl: url, log: createLogger('scheduler', level), wokenInProcess: !!app });
      await scheduler.start();
    }
    if (which.triggerer) {
      triggerer = new Triggerer({
        pool: db.pool,
        log: createLogger('triggerer', level),
        capacity: config.int('triggerer', 'capacity'),
        pollSeconds: config.float('triggerer', 'job_heartbeat_sec'),
        heartbeatTimeoutSeconds: config.float('scheduler', 'task_instance_heartbeat_timeout'),
        onResume: () => scheduler?.wake(),
      });
      await triggerer.start();
    }
    return { db, app, url, scheduler, processor, triggerer, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
