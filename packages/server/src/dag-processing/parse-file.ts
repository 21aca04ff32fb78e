/** Parses one DAG file in a child process, with a timeout. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SerializedDag } from '@updraft/sdk/serialized';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'parse-child.ts');

export type ParseResult = { ok: true; dags: SerializedDag[] } | { ok: false; message: string; stack: string };

export function parseDagFile(file: string, timeoutSeconds: number): Promise<ParseResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, file], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let settled = false;
    const finish = (r: ParseResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      const message = `DagBag import timeout for ${file} after ${timeoutSeconds}s. The file took too long to import; check for code at module level that waits (network, sleep, loops), or raise [core] dagbag_import_timeout.`;
      finish({ ok: false, message, stack: message });
    }, timeoutSeconds * 1000);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code, signal) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        const parsed = JSON.parse(line) as ParseResult;
        if (parsed && typeof parsed.ok === 'boolean') return finish(parsed);
      } catch {
        // fall through: the child died before it could answer
      }
      const message = `${file}: the file could not be imported (the parsing process ${signal ? `was killed by ${signal}` : `exited with code ${code}`})`;
      finish({ ok: false, message, stack: `${message}\n${stderr.trim()}` });
    });
  });
}
