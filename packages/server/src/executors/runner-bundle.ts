/**
 * Task processes start from a prebuilt JavaScript bundle of the task runner
 * and the SDK rather than from the TypeScript sources: Node strips types file
 * by file, and a task process importing ~40 source files spent 100-150 ms on it
 * before it could run anything (bundled: ~10 ms). Measured in bench/handoff.ts.
 *
 * The bundle is built on demand with esbuild, into a folder named by a hash of
 * the sources, so an edited SDK is rebuilt and concurrent builders do not clash.
 * If it cannot be built, task processes start from the sources as before.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { STRIPPED_CACHE_ENV } from '../task-runner/stripped-cache.ts';

const SERVER_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SDK_SRC = path.resolve(SERVER_ROOT, '../sdk/src');
const SERVER_SRC = path.join(SERVER_ROOT, 'src');
// inside the package so that bare imports in the bundle (nunjucks, croner) resolve from node_modules
const BUNDLE_ROOT = path.join(SERVER_ROOT, '.bundle');

/** Entry of a process: map @updraft/sdk to the bundled SDK, then load `target`. */
const entry = (target: string) => `import module from 'node:module';
const sdk = new URL('./sdk.js', import.meta.url).href;
module.registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier === '@updraft/sdk' || specifier.startsWith('@updraft/sdk/')) return { url: sdk, shortCircuit: true };
    return nextResolve(specifier, context);
  },
});
await import('./${target}');
// DAG files are TypeScript: without the stripped-source cache (see stripped-cache.ts),
// initialise Node's type stripping now, not when a task arrives
if (!process.env.${STRIPPED_CACHE_ENV}) await import('./warm.ts');
`;

function sourceHash(): string {
  const hash = crypto.createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts')) hash.update(full).update(fs.readFileSync(full));
    }
  };
  walk(SDK_SRC);
  walk(SERVER_SRC);
  return hash.digest('hex').slice(0, 16);
}

export interface Bundle {
  /** entry file of a task process */
  runner: string;
  /** entry file of a DAG-parsing process */
  parser: string;
}

let building: Promise<Bundle | null> | null = null;

/** The bundle's entry files, building it when the sources changed; null when it cannot be built. */
export function ensureBundle(): Promise<Bundle | null> {
  building ??= build().catch(() => null);
  return building;
}

/** Entry file of a task process (see ensureBundle). */
export async function ensureRunnerBundle(): Promise<string | null> {
  return (await ensureBundle())?.runner ?? null;
}

async function build(): Promise<Bundle> {
  const dir = path.join(BUNDLE_ROOT, sourceHash());
  const result = { runner: path.join(dir, 'entry.mjs'), parser: path.join(dir, 'parse-entry.mjs') };
  if (fs.existsSync(result.runner)) {
    // in use: keeps it from looking stale to another installation's cleanup
    fs.utimesSync(dir, new Date(), new Date());
    return result;
  }
  const { build: esbuild } = await import('esbuild');
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.mkdirSync(tmp, { recursive: true });
  const common = { bundle: true, platform: 'node' as const, format: 'esm' as const, target: 'node22', packages: 'external' as const, logLevel: 'silent' as const };
  await esbuild({ ...common, entryPoints: [path.join(SDK_SRC, 'index.ts')], outfile: path.join(tmp, 'sdk.js') });
  const external = ['@updraft/sdk', '@updraft/sdk/*'];
  await esbuild({ ...common, entryPoints: [path.join(SERVER_SRC, 'task-runner', 'main.ts')], outfile: path.join(tmp, 'runner.js'), external });
  await esbuild({ ...common, entryPoints: [path.join(SERVER_SRC, 'dag-processing', 'parse-worker.ts')], outfile: path.join(tmp, 'parse.js'), external });
  fs.writeFileSync(path.join(tmp, 'warm.ts'), 'export const warm: number = 1;\n');
  fs.writeFileSync(path.join(tmp, 'entry.mjs'), entry('runner.js'));
  fs.writeFileSync(path.join(tmp, 'parse-entry.mjs'), entry('parse.js'));
  try {
    fs.renameSync(tmp, dir);
  } catch {
    // another process built the same sources first: use theirs
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  removeStaleBundles(path.basename(dir));
  return result;
}

/** A bundle another running installation may still start task processes from is not removed before this. */
const STALE_BUNDLE_AGE_MS = 7 * 86_400_000;

/**
 * Bundles of older sources, left by earlier versions. Only old ones go: a
 * standalone started from older sources keeps forking task processes from
 * its bundle for as long as it runs (removing it at once broke those).
 */
function removeStaleBundles(keep: string) {
  const cutoff = Date.now() - STALE_BUNDLE_AGE_MS;
  for (const name of fs.readdirSync(BUNDLE_ROOT)) {
    if (name === keep || name.includes('.tmp-')) continue;
    const dir = path.join(BUNDLE_ROOT, name);
    if (fs.statSync(dir).mtimeMs < cutoff) fs.rmSync(dir, { recursive: true, force: true });
  }
}
