/** Lists DAG files under a folder, honouring .airflowignore files (glob syntax, as Airflow 3's default). */
import fs from 'node:fs';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';

export const DAG_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'];

export function findDagFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, rules: { base: string; ig: Ignore }[]) => {
    const ignoreFile = path.join(dir, '.airflowignore');
    const here = fs.existsSync(ignoreFile) ? [...rules, { base: dir, ig: ignore().add(fs.readFileSync(ignoreFile, 'utf8')) }] : rules;
    const ignored = (full: string, isDir: boolean) =>
      here.some(({ base, ig }) => {
        const rel = path.relative(base, full);
        return rel !== '' && ig.ignores(isDir ? `${rel}/` : rel);
      });
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!ignored(full, true)) walk(full, here);
      } else if (entry.isFile() && DAG_EXTENSIONS.includes(path.extname(entry.name)) && !entry.name.endsWith('.d.ts')) {
        if (!ignored(full, false)) found.push(full);
      }
    }
  };
  walk(root, []);
  return found.sort();
}

/**
 * Airflow's "safe mode": only files that mention a DAG are imported, so helper
 * modules next to DAG files are not executed by the processor.
 */
export function mightDefineDag(source: string): boolean {
  return /\bdag\b|\bDAG\b|@updraft\/sdk/i.test(source);
}
