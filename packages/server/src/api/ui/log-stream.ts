/**
 * Live tail of a task try's log over Server-Sent Events: the lines written so
 * far, then each new line as the task writes it, then an `end` event once the
 * try is over. The browser reads it with fetch (EventSource cannot send the
 * bearer token).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Config } from '../../config/config.ts';
import { logRelativePath } from '../../executors/workload.ts';
import { badRequest, notFound } from '../errors.ts';

/** states in which a try may still write to its log */
const ACTIVE = new Set(['scheduled', 'queued', 'running', 'restarting', 'deferred', 'up_for_reschedule']);
const POLL_MS = 250;

export function registerUiLogStream(app: FastifyInstance, deps: { pool: pg.Pool; config: Config }) {
  // open streams end when the server stops, rather than holding its close until their tries finish
  const open = new Set<() => void>();
  app.addHook('preClose', async () => open.forEach((end) => end()));

  app.get('/ui/dags/:dag_id/dagRuns/:run_id/taskInstances/:task_id/logs/:try_number/stream', async (req, reply) => {
    const { dag_id, run_id, task_id, try_number } = req.params as { dag_id: string; run_id: string; task_id: string; try_number: string };
    const mapIndex = Number((req.query as { map_index?: string }).map_index ?? -1);
    const tryNumber = Number(try_number);
    if (!Number.isInteger(tryNumber) || tryNumber < 1) throw badRequest('try_number must be a positive integer');
    if (!Number.isInteger(mapIndex)) throw badRequest('map_index must be an integer');
    const tiNow = async () =>
      (
        await deps.pool.query<{ state: string | null; try_number: number }>(
          'SELECT state, try_number FROM task_instance WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $4',
          [dag_id, run_id, task_id, mapIndex],
        )
      ).rows[0];
    if (!(await tiNow())) throw notFound(`The Task Instance with dag_id: \`${dag_id}\`, run_id: \`${run_id}\`, task_id: \`${task_id}\` and map_index: \`${mapIndex}\` was not found`);
    const file = path.join(deps.config.str('logging', 'base_log_folder'), logRelativePath({ dag_id, run_id, task_id, map_index: mapIndex, try_number: tryNumber }));

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    let closed = false;
    const stop = () => (closed = true);
    req.raw.on('close', stop);
    const end = () => {
      stop();
      res.end();
      res.socket?.destroySoon();
    };
    open.add(end);
    const write = (text: string) => !res.writableEnded && res.write(text);
    const send = (event: string, data: unknown) => write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

    let offset = 0;
    let partial = '';
    /** sends the complete lines written since the last read */
    const readNew = () => {
      const size = fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
      if (size <= offset) return;
      const fd = fs.openSync(file, 'r');
      try {
        const buf = Buffer.alloc(size - offset);
        fs.readSync(fd, buf, 0, buf.length, offset);
        offset = size;
        const text = partial + buf.toString('utf8');
        const lines = text.split('\n');
        partial = lines.pop() ?? '';
        if (lines.length) send('lines', lines);
      } finally {
        fs.closeSync(fd);
      }
    };

    try {
      let lastStateCheck = 0;
      while (!closed) {
        readNew();
        if (Date.now() - lastStateCheck >= 1000) {
          lastStateCheck = Date.now();
          const ti = await tiNow();
          const over = !ti || ti.try_number > tryNumber || !ACTIVE.has(ti.state ?? '');
          if (over) {
            readNew();
            if (partial) send('lines', [partial]);
            send('end', { state: ti?.state ?? null });
            break;
          }
          write(': keep-alive\n\n');
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    } catch (err) {
      if (!closed) send('error', { detail: (err as Error).message });
    }
    open.delete(end);
    if (!res.writableEnded) res.end();
  });
}
