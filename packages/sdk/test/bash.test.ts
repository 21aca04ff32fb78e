import assert from 'node:assert/strict';
import { mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AirflowException, AirflowSkipException, BashOperator, DAG, resetDagRegistry, type BashOperatorOptions } from '@updraft/sdk';
import { MemoryRuntime, makeContext } from './helpers.ts';

beforeEach(() => resetDagRegistry());

let workDir: string;
before(async () => {
  workDir = await realpath(await mkdtemp(path.join(tmpdir(), 'updraft-bash-test-')));
});
after(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/**
 * Waits until `pid` has exited. A killed orphan stays a zombie until init
 * reaps it, which counts as dead (it can no longer run).
 */
async function becomesDead(pid: number, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let stat: string;
    try {
      stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return true;
    }
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

/** Runs a BashOperator with real bash; returns its result and the log lines. */
async function runBash(options: Omit<BashOperatorOptions, 'task_id'>, signal?: AbortSignal) {
  const dag = new DAG({ dag_id: 'bash_test' });
  const op = new BashOperator({ task_id: 'run', dag, ...options });
  const runtime = new MemoryRuntime();
  const context = makeContext(op, runtime, signal ? { signal } : {});
  const result = op.execute(context);
  return { result, logs: runtime.log.lines };
}

describe('BashOperator.execute', () => {
  it('returns the last stdout line and logs every stdout/stderr line', async () => {
    const { result, logs } = await runBash({ bash_command: 'echo first; echo oops >&2; echo "last line  "' });
    assert.equal(await result, 'last line');
    assert.ok(logs.includes('first'));
    assert.ok(logs.includes('oops'));
    assert.ok(logs.includes('Command exited with return code 0'));
  });

  it('returns an empty string when there is no output', async () => {
    assert.equal(await (await runBash({ bash_command: 'true' })).result, '');
  });

  it('raises AirflowSkipException on exit code 99 (the default skip code)', async () => {
    const { result } = await runBash({ bash_command: 'echo "hello world"; exit 99;' });
    await assert.rejects(result, (error: Error) => {
      assert.ok(error instanceof AirflowSkipException);
      assert.equal(error.message, 'Bash command returned exit code 99. Skipping.');
      return true;
    });
  });

  it('honours custom skip codes, and none', async () => {
    await assert.rejects((await runBash({ bash_command: 'exit 3', skip_on_exit_code: [3, 4] })).result, AirflowSkipException);
    const { result } = await runBash({ bash_command: 'exit 99', skip_on_exit_code: null });
    await assert.rejects(result, (error: Error) => !(error instanceof AirflowSkipException) && error instanceof AirflowException);
  });

  it('raises AirflowException with the exit code on failure', async () => {
    const { result } = await runBash({ bash_command: 'echo nope; exit 1' });
    await assert.rejects(result, (error: Error) => {
      assert.ok(error instanceof AirflowException);
      assert.equal(error.message, 'Bash command failed. The command returned a non-zero exit code 1.');
      return true;
    });
  });

  it('replaces the environment with env, or appends with append_env', async () => {
    process.env.UPDRAFT_TEST_INHERITED = 'inherited';
    try {
      const replaced = await (await runBash({ bash_command: 'echo "$FOO-${UPDRAFT_TEST_INHERITED:-unset}"', env: { FOO: 'bar' } })).result;
      assert.equal(replaced, 'bar-unset');
      const appended = await (
        await runBash({ bash_command: 'echo "$FOO-${UPDRAFT_TEST_INHERITED:-unset}"', env: { FOO: 'bar' }, append_env: true })
      ).result;
      assert.equal(appended, 'bar-inherited');
      const inherited = await (await runBash({ bash_command: 'echo "${UPDRAFT_TEST_INHERITED}"' })).result;
      assert.equal(inherited, 'inherited');
    } finally {
      delete process.env.UPDRAFT_TEST_INHERITED;
    }
  });

  it('sets AIRFLOW_CTX_* variables from the context', async () => {
    const { result } = await runBash({ bash_command: 'echo "$AIRFLOW_CTX_DAG_ID/$AIRFLOW_CTX_TASK_ID/$AIRFLOW_CTX_TRY_NUMBER"', env: {} });
    assert.equal(await result, 'bash_test/run/1');
  });

  it('runs in cwd when given, else in a temporary directory that is removed afterwards', async () => {
    assert.equal(await (await runBash({ bash_command: 'pwd', cwd: workDir })).result, workDir);
    const tmp = await (await runBash({ bash_command: 'pwd' })).result;
    assert.match(path.basename(tmp), /^airflowtmp/);
    await assert.rejects(realpath(tmp), /ENOENT/);
  });

  it('rejects a missing or non-directory cwd', async () => {
    await assert.rejects((await runBash({ bash_command: 'true', cwd: path.join(workDir, 'missing') })).result, /Can not find the cwd/);
    const file = path.join(workDir, 'file.txt');
    await writeFile(file, 'x');
    await assert.rejects((await runBash({ bash_command: 'true', cwd: file })).result, /must be a directory/);
  });

  it('kills the whole process group when the task is aborted', async () => {
    const controller = new AbortController();
    const marker = path.join(workDir, 'child.pid');
    // A background child that would outlive bash if only bash were killed.
    const { result } = await runBash(
      { bash_command: `sleep 30 & echo $! > ${marker}; echo started; wait`, cwd: workDir },
      controller.signal,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const reason = new AirflowException('Timeout');
    const started = Date.now();
    controller.abort(reason);
    await assert.rejects(result, (error) => error === reason);
    assert.ok(Date.now() - started < 4000, 'SIGTERM was enough');
    const childPid = Number((await readFile(marker, 'utf8')).trim());
    assert.ok(await becomesDead(childPid), 'background child is gone too');
  });

  it('rejects at once if the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects((await runBash({ bash_command: 'echo never' }, controller.signal)).result, /aborted/);
  });

  it('decodes output with output_encoding', async () => {
    const { result } = await runBash({ bash_command: "printf 'caf\\xe9\\n'", output_encoding: 'latin1' });
    assert.equal(await result, 'café');
  });
});
