/**
 * GET …/taskInstances/{task_id}/logs/{try_number}: a try's log, as JSON
 * (structured lines and a continuation token), as application/x-ndjson, or as
 * text/plain, by the Accept header. Without full_content the answer starts
 * where the previous one's continuation token left off, so clients can tail.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Config } from '../../config/config.ts';
import { getDagRun } from '../../db/sql/dag-runs.ts';
import { logRelativePath } from '../../executors/workload.ts';
import { badRequest, notFound, unprocessable } from '../errors.ts';
import { boolParam } from './pagination.ts';

interface LogPosition {
  log_pos: number;
  end_of_log: boolean;
}

function readToken(token: unknown): LogPosition | null {
  if (token === undefined || token === null || token === '') return null;
  try {
    const parsed = JSON.parse(Buffer.from(String(token), 'base64url').toString('utf8')) as LogPosition;
    if (!Number.isInteger(parsed.log_pos) || parsed.log_pos < 0) throw new Error('bad position');
    return parsed;
  } catch {
    throw badRequest('token is not a continuation token this server issued');
  }
}

const writeToken = (p: LogPosition) => Buffer.from(JSON.stringify(p)).toString('base64url');

/** `[timestamp] {logger} LEVEL - message` lines as StructuredLogMessage objects. */
export function structuredLines(text: string) {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const m = /^\[([^\]]+)\] \{([^}]*)\} (\w+) - (.*)$/.exec(line);
      return m ? { timestamp: m[1], logger: m[2], level: m[3].toLowerCase(), event: m[4] } : { event: line };
    });
}

const FINISHED = new Set(['success', 'failed', 'skipped', 'upstream_failed', 'removed', 'up_for_retry']);

export function registerLogRoutes(app: FastifyInstance, deps: { pool: pg.Pool; config: Config }) {
  const { pool, config } = deps;

  app.get('/api/v2/dags/:dag_id/dagRuns/:run_id/taskInstances/:task_id/logs/:try_number', async (req, reply) => {
    const { dag_id, run_id, task_id, try_number } = req.params as { dag_id: string; run_id: string; task_id: string; try_number: string };
    const q = req.query as Record<string, unknown>;
    const mapIndex = q.map_index === undefined ? -1 : Number(q.map_index);
    if (!Number.isInteger(mapIndex) || mapIndex < -1) throw unprocessable('query: map_index must be an integer of at least -1');
    const tryNumber = Number(try_number);
    if (!Number.isInteger(tryNumber) || tryNumber < 0) throw unprocessable('path: try_number must be a non-negative integer');
    if (!(await getDagRun(pool, dag_id, run_id))) throw notFound(`The DagRun with dag_id: \`${dag_id}\` and run_id: \`${run_id}\` was not found`);
    // the ids name a row that exists before they become a file path, so no `../` reaches the file system
    const ti = await pool.query<{ state: string | null; try_number: number }>(
      'SELECT state, try_number FROM task_instance WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $4',
      [dag_id, run_id, task_id, mapIndex],
    );
    if (!ti.rows[0]) throw notFound(`TaskInstance not found: dag_id=${dag_id} run_id=${run_id} task_id=${task_id} map_index=${mapIndex}`);
    const base = path.resolve(config.str('logging', 'base_log_folder'));
    const file = path.resolve(base, logRelativePath({ dag_id, run_id, task_id, map_index: mapIndex, try_number: tryNumber }));
    if (!file.startsWith(base + path.sep)) throw badRequest('Invalid log location');

    const full = boolParam(q.full_content) ?? false;
    const from = full ? 0 : (readToken(q.token)?.log_pos ?? 0);
    const bytes = fs.existsSync(file) ? fs.readFileSync(file) : Buffer.alloc(0);
    const text = bytes.subarray(Math.min(from, bytes.length)).toString('utf8');
    const current = ti.rows[0];
    const endOfLog = tryNumber < current.try_number || FINISHED.has(current.state ?? '');
    const continuation = writeToken({ log_pos: bytes.length, end_of_log: endOfLog });

    const accept = String(req.headers.accept ?? '');
    if (accept.includes('text/plain')) {
      reply.header('x-continuation-token', continuation);
      return reply.type('text/plain; charset=utf-8').send(text);
    }
    if (accept.includes('application/x-ndjson')) {
      return reply.type('application/x-ndjson').send(structuredLines(text).map((l) => `${JSON.stringify(l)}\n`).join(''));
    }
    return { content: structuredLines(text), continuation_token: continuation };
  });
}
