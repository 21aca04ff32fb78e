/**
 * kill -9 of a whole standalone in the middle of a run, then a restart on the
 * same home: the embedded PostgreSQL left behind is taken over, the task process
 * that was running finishes and reports to the new api-server, and the run
 * completes. Nothing is lost.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { freePort } from '../src/db/embedded.ts';
import { tempHome, waitFor } from './helpers.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/updraft.js');
const home = tempHome('updraft-restart-');
const children: ChildProcess[] = [];
let env: NodeJS.ProcessEnv;

function standalone(): ChildProcess {
  const child = spawn(process.execPath, [BIN, 'standalone'], { env, stdio: 'ignore' });
  children.push(child);
  return child;
}
const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8' });
const runState = (runId: string) => cli('dags', 'state', 'survivor', runId).stdout.trim();

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 2000));
  fs.rmSync(home, { recursive: true, force: true });
});

test('a standalone killed with SIGKILL mid-run is restarted and the run completes', async () => {
  env = { ...process.env, UPDRAFT_HOME: home, UPDRAFT__API__PORT: String(await freePort()), UPDRAFT__CORE__LOAD_EXAMPLES: 'false', UPDRAFT__SCHEDULER__SCHEDULER_HEARTBEAT_SEC: '0.5' };
  fs.mkdirSync(path.join(home, 'dags'), { recursive: true });
  fs.writeFileSync(
    path.join(home, 'dags', 'survivor.ts'),
    `import { DAG, BashOperator } from '@updraft/sdk';
     export default new DAG({ dag_id: 'survivor', schedule: null, start_date: '2024-01-01' }, () => {
       new BashOperator({ task_id: 'slow', bash_command: 'sleep 3; echo slow done' })
         .then(new BashOperator({ task_id: 'after', bash_command: 'echo after' }));
     });`,
  );
  const first = standalone();
  await waitFor(() => cli('dags', 'list', '-o', 'json').stdout.includes('survivor'), 30_000, 'the DAG');
  const trig = cli('dags', 'trigger', 'survivor', '-o', 'json');
  assert.equal(trig.status, 0, trig.stderr);
  const runId = JSON.parse(trig.stdout)[0].run_id as string;
  await waitFor(() => cli('tasks', 'state', 'survivor', 'slow', runId).stdout.trim() === 'running', 20_000, 'the slow task to run');

  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  standalone();
  await waitFor(() => ['success', 'failed'].includes(runState(runId)), 40_000, 'the run to finish after the restart');
  assert.equal(runState(runId), 'success');
  assert.equal(cli('tasks', 'state', 'survivor', 'slow', runId).stdout.trim(), 'success');
  const log = fs.readFileSync(path.join(home, 'logs', 'dag_id=survivor', `run_id=${runId}`, 'task_id=slow', 'attempt=1.log'), 'utf8');
  assert.match(log, /slow done/, 'the try that was running when the standalone died finished and kept its log');
});
