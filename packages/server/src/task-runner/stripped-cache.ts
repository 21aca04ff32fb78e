/**
 * TypeScript modules (DAG files and what they import), stripped of their types
 * once and kept on disk. Node strips types with amaro, a WebAssembly build of
 * swc that a fresh process spends ~30 ms of CPU loading — a third of a task
 * process's start-up, on every try. The DAG processor's parsing processes
 * import every DAG file first and write what they stripped here, keyed by a
 * hash of the source; task processes then load the stripped text and never
 * load amaro. A miss (a file edited after its last parse) strips as usual and
 * fills the cache.
 *
 * The directory is $UPDRAFT_HOME/cache/stripped-ts (named by STRIPPED_CACHE_ENV
 * for child processes): under the installation's home, not a shared temporary
 * folder, since whatever is written there runs as task code.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import module from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const STRIPPED_CACHE_ENV = 'UPDRAFT_STRIPPED_CACHE';

/** Entries written this long ago are removed now and then; one still in use costs a single strip to write again. */
const MAX_AGE_MS = 7 * 86_400_000;

export function strippedCacheDir(home: string): string {
  return path.join(home, 'cache', 'stripped-ts');
}

let installed = false;

/** Loads ES-module TypeScript through the cache named by $UPDRAFT_STRIPPED_CACHE (nothing happens without it). */
export function installStrippedCache(dir = process.env[STRIPPED_CACHE_ENV]): void {
  if (installed || !dir || typeof module.stripTypeScriptTypes !== 'function') return;
  installed = true;
  module.registerHooks({
    load(url, context, nextLoad) {
      if (!url.startsWith('file:') || !/\.m?ts(\?|#|$)/.test(url)) return nextLoad(url, context);
      const file = fileURLToPath(url);
      let source: string;
      try {
        source = fs.readFileSync(file, 'utf8');
      } catch {
        return nextLoad(url, context);
      }
      // not through nextLoad first: deciding a .ts file's format strips it, which is the cost avoided here
      const entry = path.join(dir, `${cacheKey(file, source)}.js`);
      try {
        return { format: 'module', source: fs.readFileSync(entry, 'utf8'), shortCircuit: true };
      } catch {
        // not stripped yet
      }
      const loaded = nextLoad(url, context);
      // only ES modules are kept: a hit is then known to be one
      if (loaded.format !== 'module-typescript') return loaded;
      const code = stripQuietly(source);
      save(dir, entry, code);
      return { format: 'module', source: code, shortCircuit: true };
    },
  });
}

/** The file's path and text (its format may depend on where it is), and Node's version (the stripper's output may change with it). */
function cacheKey(file: string, source: string): string {
  return crypto.createHash('sha256').update(`${process.version}\0${file}\0`).update(source).digest('hex').slice(0, 40);
}

let warned = false;

/**
 * module.stripTypeScriptTypes prints an ExperimentalWarning on its first use
 * (it is what Node itself does to a .ts import, which prints nothing): keep
 * that one line out of task logs and the DAG processor's stderr.
 */
function stripQuietly(source: string): string {
  if (warned) return module.stripTypeScriptTypes(source);
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning).includes('stripTypeScriptTypes')) return;
    (emit as (...a: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return module.stripTypeScriptTypes(source);
  } finally {
    process.emitWarning = emit;
    warned = true;
  }
}

function save(dir: string, file: string, code: string) {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // written whole, then renamed: a concurrent reader sees all of it or nothing
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, file);
    if (Math.random() < 0.02) removeOld(dir);
  } catch {
    // a read-only or full disk: the next import strips again
  }
}

function removeOld(dir: string) {
  const cutoff = Date.now() - MAX_AGE_MS;
  for (const name of fs.readdirSync(dir)) {
    const file = path.join(dir, name);
    try {
      if (fs.statSync(file).mtimeMs < cutoff) fs.rmSync(file, { force: true });
    } catch {
      // removed by another process meanwhile
    }
  }
}
