/**
 * The web UI is built on demand, the way the task-runner bundle is: when the
 * api-server starts and the built app is missing or older than its sources,
 * Vite builds it into packages/ui/dist/<hash of the sources>. So `npm ci &&
 * npm start` serves the UI with no separate build step, and an edited UI is
 * rebuilt on the next start.
 *
 * Several processes may start at once (tests, a standalone and a lone
 * api-server): a lock file lets one build while the others wait for its folder.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAlive } from '../../util/process-alive.ts';

export const UI_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../ui');
const DIST = path.join(UI_ROOT, 'dist');
/** inputs of the build; a change to any of them means a new build */
const INPUTS = ['src', 'index.html', 'vite.config.ts', 'package.json'];

/** sha256 of the UI's sources, config and package.json: the name of the build folder. */
export function uiSourceHash(): string {
  const hash = crypto.createHash('sha256');
  const add = (full: string) => {
    const stat = fs.statSync(full, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isDirectory()) {
      for (const name of fs.readdirSync(full).sort()) add(path.join(full, name));
    } else {
      hash.update(path.relative(UI_ROOT, full)).update(fs.readFileSync(full));
    }
  };
  for (const input of INPUTS) add(path.join(UI_ROOT, input));
  return hash.digest('hex').slice(0, 16);
}

export interface UiBuild {
  /** folder holding index.html and assets/ */
  dir: string;
  /** true when this process built it (false: it was there already, or another process built it) */
  built: boolean;
  ms: number;
}

// unref'd: a process that only waits for another's build (a short test, say) may still exit
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

/** Takes the build lock; false while another live process holds it. A dead holder's lock is taken over. */
function tryLock(lock: string): boolean {
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  try {
    fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
    return true;
  } catch {
    const stat = fs.statSync(lock, { throwIfNoEntry: false });
    if (!stat) return tryLock(lock); // released meanwhile
    const holder = Number(fs.readFileSync(lock, 'utf8').trim());
    // an empty lock is one being written this instant, unless it has stayed empty
    if (!holder && Date.now() - stat.mtimeMs < 10_000) return false;
    if (holder && isAlive(holder)) return false;
    fs.rmSync(lock, { force: true });
    return tryLock(lock);
  }
}

/** The built UI for the current sources, building it first when needed (`dist`: where builds go, for tests). */
export async function ensureUiBuild({ dist = DIST, timeoutMs = 180_000 } = {}): Promise<UiBuild> {
  const started = Date.now();
  const lock = path.join(dist, '.build.lock');
  const dir = path.join(dist, uiSourceHash());
  const ready = () => fs.existsSync(path.join(dir, 'index.html'));
  while (!ready()) {
    if (tryLock(lock)) {
      let built = false;
      try {
        if (!ready()) {
          await viteBuild(dir);
          built = true;
        }
      } finally {
        fs.rmSync(lock, { force: true });
      }
      removeOldBuilds(dist, path.basename(dir));
      return { dir, built, ms: Date.now() - started };
    }
    if (Date.now() - started > timeoutMs) throw new Error(`Timed out waiting for another process to build the UI (lock ${lock})`);
    await sleep(200);
  }
  return { dir, built: false, ms: Date.now() - started };
}

async function viteBuild(dir: string) {
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const { build } = await import('vite');
  await build({
    root: UI_ROOT,
    configFile: path.join(UI_ROOT, 'vite.config.ts'),
    logLevel: 'silent',
    build: { outDir: tmp, emptyOutDir: true },
  });
  // a rename is atomic: a reader sees no folder or a complete one
  fs.renameSync(tmp, dir);
}

/**
 * Builds of older sources and leftovers of interrupted builds. A build younger
 * than a day is kept: a server started before the sources changed still serves it.
 */
function removeOldBuilds(dist: string, keep: string) {
  const dayAgo = Date.now() - 86_400_000;
  for (const name of fs.readdirSync(dist)) {
    if (name === keep || name.startsWith('.')) continue;
    const full = path.join(dist, name);
    const pid = Number(/\.tmp-(\d+)$/.exec(name)?.[1]);
    if (pid ? isAlive(pid) : fs.statSync(full).mtimeMs > dayAgo) continue;
    fs.rmSync(full, { recursive: true, force: true });
  }
}
