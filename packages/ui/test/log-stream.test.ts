/**
 * The live log tail (/ui/…/logs/{try}/stream) on its own: lines appended to a
 * running try's log file arrive as Server-Sent Events in order (a line is sent
 * once complete), the stream ends with the try's state, and an open stream
 * does not hold the api-server's close. No scheduler runs: the test plays the
 * task by writing its log file and setting its state.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { logRelativePath } from '../../server/src/executors/workload.ts';
import { startStandalone, waitFor, type TestStandalone } from '../../server/test/helpers.ts';

let s: TestStandalone;
let runId: string;
let logFile: string;

before(async () => {
  s = await startStandalone({}, { apiServer: true, dagProcessor: true });
  s.writeDag('tail.ts', `import { DAG, BashOperator } from '@updraft/sdk';
export default new DAG({ dag_id: 'tail', schedule: null, start_date: '2024-01-01' }, () => { new BashOperator({ task_id: 't', bash_command: 'true' }); });`);
  await s.waitForDag('tail');
  runId = await s.trigger('tail');
  await s.db.pool.query("UPDATE task_instance SET state = 'running', try_number = 1 WHERE dag_id = 'tail'");
  logFile = path.join(s.config.str('logging', 'base_log_folder'), logRelativePath({ dag_id: 'tail', run_id: runId, task_id: 't', map_index: -1, try_number: 1 }));
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  fs.writeFileSync(logFile, '[2024-01-01T00:00:00.000Z] {task} INFO - first\n');
});

after(async () => s?.close());

/** Reads SSE events from a stream into `events` until it ends. */
async function collect(res: Response, events: { event: string; data: unknown }[]) {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let sep;
    while ((sep = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, sep);
      buffer = buffer.slice(sep + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) events.push({ event, data: JSON.parse(data) });
    }
  }
}

test('lines are sent as the try writes them, a partial line once complete, then the end with the state', async () => {
  const res = await fetch(`${s.url}/ui/dags/tail/dagRuns/${encodeURIComponent(runId)}/taskInstances/t/logs/1/stream`, { headers: { authorization: `Bearer ${s.token}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const events: { event: string; data: unknown }[] = [];
  const done = collect(res, events);
  const lines = () => events.filter((e) => e.event === 'lines').flatMap((e) => e.data as string[]);
  await waitFor(() => lines().length === 1, 5000, 'the first line');
  fs.appendFileSync(logFile, '[2024-01-01T00:00:01.000Z] {task} INFO - sec');
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(lines().length, 1, 'half a line is not sent');
  fs.appendFileSync(logFile, 'ond\n[2024-01-01T00:00:02.000Z] {task} WARNING - third\n');
  await waitFor(() => lines().length === 3, 5000, 'the next lines');
  assert.deepEqual(lines().map((l) => l.split(' - ')[1]), ['first', 'second', 'third']);
  await s.db.pool.query("UPDATE task_instance SET state = 'success' WHERE dag_id = 'tail'");
  await done;
  assert.deepEqual(events.at(-1), { event: 'end', data: { state: 'success' } });
});

test('an open stream does not hold the server when it stops', async () => {
  await s.db.pool.query("UPDATE task_instance SET state = 'running' WHERE dag_id = 'tail'");
  const res = await fetch(`${s.url}/ui/dags/tail/dagRuns/${encodeURIComponent(runId)}/taskInstances/t/logs/1/stream`, { headers: { authorization: `Bearer ${s.token}` } });
  assert.equal(res.status, 200);
  const started = Date.now();
  await s.close();
  s = undefined as unknown as TestStandalone;
  assert.ok(Date.now() - started < 15_000, `closed in ${Date.now() - started} ms`);
});
