/**
 * The first start of an installation (standalone, any component, `db migrate`,
 * a CLI command that stores a secret) writes a generated [core] fernet_key
 * into $UPDRAFT_HOME/updraft.cfg, as Airflow does into airflow.cfg, so every
 * process on this home encrypts with the same key.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/config.ts';
import { setIniValue } from '../config/ini-edit.ts';
import { parseIni } from '../config/ini-file.ts';
import { generateFernetKey } from './encryption.ts';

const LOCK_WAIT_MS = 5_000;
/** a lock older than this was left by a process that died while holding it */
const STALE_LOCK_MS = 10_000;

function sleep(ms: number) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs `fn` holding `<file>.lock`: two components starting at once must not each write a different key. */
function withFileLock<T>(file: string, fn: () => T): T {
  const lock = `${file}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      fs.closeSync(fs.openSync(lock, 'wx'));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_LOCK_MS) fs.rmSync(lock, { force: true });
      else if (Date.now() > deadline) throw new Error(`${lock} is held by another process: remove it if no Updraft process is starting`, { cause: err });
      else sleep(20);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/** The key in updraft.cfg, writing a new one into its [core] section first when there is none. */
export function writeFernetKeyIfMissing(file: string): { key: string; generated: boolean } {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  return withFileLock(file, () => {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    const current = parseIni(text, file).data.core?.fernet_key?.trim();
    if (current) return { key: current, generated: false };
    const key = generateFernetKey();
    const tmp = `${file}.${process.pid}.tmp`;
    // the file now holds a secret: readable by its owner only
    try {
      fs.writeFileSync(tmp, setIniValue(text, 'core', 'fernet_key', key), { mode: 0o600 });
      fs.renameSync(tmp, file);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    return { key, generated: true };
  });
}

/**
 * `config` with a fernet key: the configured one, or one generated into
 * updraft.cfg. A key set in the environment, even to '', is the operator's
 * decision and is left alone — an empty one then makes writes of secrets
 * fail with a clear error rather than store clear text.
 */
export function ensureFernetKey(config: Config, onGenerated?: (file: string) => void): Config {
  const entry = config.get('core', 'fernet_key');
  if (!entry || entry.value !== '' || entry.source.startsWith('env')) return config;
  let written: { key: string; generated: boolean };
  try {
    written = writeFernetKeyIfMissing(config.file);
  } catch (err) {
    throw new Error(`Cannot write a generated [core] fernet_key into ${config.file} (${(err as Error).message}): set UPDRAFT__CORE__FERNET_KEY to a base64 32-byte key instead`, { cause: err });
  }
  const { key, generated } = written;
  if (generated) onGenerated?.(config.file);
  return config.with({ 'core.fernet_key': key });
}
