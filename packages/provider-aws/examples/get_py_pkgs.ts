/**
 * get_py_pkgs — port of "Amazon MWAA — Configuration" (dags/get_py_pkgs.py,
 * `python3 -m pip list`): lists the npm packages installed where DAG files
 * find their imports (the node_modules that holds @updraft/sdk, next to the
 * DAG or else Updraft's own), name and version, in the shape of pip's list.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DAG, PythonOperator, type Context } from '@updraft/sdk';

/** The first node_modules holding @updraft/sdk at or above `dir` (Node's lookup, upwards), or null. */
function nodeModulesAbove(dir: string): string | null {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'node_modules', '@updraft', 'sdk'))) return path.join(d, 'node_modules');
    if (path.dirname(d) === d) return null;
  }
}

/** Where this DAG's imports come from: next to the DAG file, else where Updraft itself is installed. */
function installedNodeModules(): string {
  const dagDir = path.dirname(new URL(import.meta.url).pathname);
  const sdkDir = path.dirname(new URL(import.meta.resolve('@updraft/sdk')).pathname);
  const found = nodeModulesAbove(dagDir) ?? nodeModulesAbove(sdkDir);
  if (!found) throw new Error(`no node_modules with @updraft/sdk above ${dagDir} or ${sdkDir}`);
  return found;
}

function installedPackages(root: string): [string, string][] {
  const out: [string, string][] = [];
  for (const entry of fs.readdirSync(root)) {
    if (entry.startsWith('.')) continue;
    const names = entry.startsWith('@') ? fs.readdirSync(path.join(root, entry)).map((n) => `${entry}/${n}`) : [entry];
    for (const name of names) {
      try {
        out.push([name, JSON.parse(fs.readFileSync(path.join(root, name, 'package.json'), 'utf8')).version ?? '']);
      } catch {
        // not a package (a .bin folder, a broken link)
      }
    }
  }
  return out.sort(([a], [b]) => a.localeCompare(b));
}

function list_packages(context: Context): void {
  const packages = installedPackages(installedNodeModules());
  const width = Math.max(7, ...packages.map(([n]) => n.length));
  context.log.info(`${'Package'.padEnd(width)} Version`);
  context.log.info(`${'-'.repeat(width)} ---------`);
  for (const [name, version] of packages) context.log.info(`${name.padEnd(width)} ${version}`);
}

export default new DAG({ dag_id: 'get_py_pkgs', schedule: null, start_date: '2020-12-01', catchup: false, tags: ['utils'] }, () => {
  new PythonOperator({ task_id: 'list_python_packages', python_callable: list_packages });
});
