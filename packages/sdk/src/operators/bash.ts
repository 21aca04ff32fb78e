/**
 * BashOperator: runs `bash -c <command>` the way Airflow does: in a temporary
 * working directory unless cwd is given, each output line logged, the last
 * stdout line returned (it becomes the XCom), exit code 99 meaning "skip".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { constants as osConstants, tmpdir } from 'node:os';
import path from 'node:path';
import { TextDecoder } from 'node:util';
import { BaseOperator, withDefaultArgs, type BaseOperatorOptions } from '../baseoperator.ts';
import type { Context } from '../context.ts';
import { AirflowException, AirflowSkipException } from '../exceptions.ts';
import { forEachLine } from './lines.ts';

export interface BashOperatorOptions extends BaseOperatorOptions {
  /** command, script, or path of a .sh/.bash file (templated) */
  bash_command: string;
  /** if given, the process gets only these variables, unless append_env is true */
  env?: Record<string, string> | null;
  append_env?: boolean;
  /** working directory; default is a fresh temporary directory */
  cwd?: string | null;
  /** exit codes that mark the task skipped instead of failed (default 99) */
  skip_on_exit_code?: number | number[] | null;
  output_encoding?: string;
}

/** How long an aborted command gets between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 5_000;

export class BashOperator extends BaseOperator {
  static template_fields: string[] = ['bash_command', 'env', 'cwd'];
  static template_ext: string[] = ['.sh', '.bash'];

  bash_command: string;
  env: Record<string, string> | null;
  append_env: boolean;
  cwd: string | null;
  skip_on_exit_code: number[];
  output_encoding: string;

  constructor(options: BashOperatorOptions) {
    const args = withDefaultArgs(options);
    super(args);
    this.bash_command = args.bash_command;
    this.env = args.env ?? null;
    this.append_env = args.append_env ?? false;
    this.cwd = args.cwd ?? null;
    const skip = args.skip_on_exit_code === undefined ? 99 : args.skip_on_exit_code;
    this.skip_on_exit_code = skip === null ? [] : Array.isArray(skip) ? [...skip] : [skip];
    this.output_encoding = args.output_encoding ?? 'utf-8';
  }

  override serializeFields(): Record<string, unknown> {
    return {
      bash_command: this.bash_command,
      env: this.env,
      append_env: this.append_env,
      cwd: this.cwd,
      skip_on_exit_code: this.skip_on_exit_code,
      output_encoding: this.output_encoding,
    };
  }

  async execute(context: Context): Promise<string> {
    if (typeof this.bash_command !== 'string') {
      throw new AirflowException(`bash_command must be a string, got ${typeof this.bash_command}`);
    }
    if (this.cwd !== null) await checkCwd(this.cwd);
    let decoder: TextDecoder;
    try {
      decoder = new TextDecoder(this.output_encoding);
    } catch {
      throw new AirflowException(`Unknown output_encoding '${this.output_encoding}'`);
    }

    // Airflow runs commands in a throw-away directory so stray files vanish.
    const tmpDir = this.cwd === null ? await mkdtemp(path.join(tmpdir(), 'airflowtmp')) : null;
    try {
      const { exitCode, lastLine } = await this.#run(this.cwd ?? tmpDir!, this.#environment(context), decoder, context);
      if (this.skip_on_exit_code.includes(exitCode)) {
        throw new AirflowSkipException(`Bash command returned exit code ${exitCode}. Skipping.`);
      }
      if (exitCode !== 0) {
        throw new AirflowException(`Bash command failed. The command returned a non-zero exit code ${exitCode}.`);
      }
      return lastLine;
    } finally {
      if (tmpDir) await rm(tmpDir, { recursive: true, force: true });
    }
  }

  /** env as Airflow computes it: explicit env (optionally on top of ours) plus AIRFLOW_CTX_* */
  #environment(context: Context): NodeJS.ProcessEnv {
    const base: NodeJS.ProcessEnv =
      this.env === null ? { ...process.env } : this.append_env ? { ...process.env, ...this.env } : { ...this.env };
    const ti = context.ti ?? context.task_instance;
    const vars: Record<string, unknown> = {
      AIRFLOW_CTX_DAG_OWNER: this.owner,
      AIRFLOW_CTX_DAG_ID: ti?.dag_id ?? this.dag_id,
      AIRFLOW_CTX_TASK_ID: ti?.task_id ?? this.task_id,
      AIRFLOW_CTX_LOGICAL_DATE: context.logical_date instanceof Date ? context.logical_date.toISOString() : undefined,
      AIRFLOW_CTX_TRY_NUMBER: ti?.try_number ?? context.try_number,
      AIRFLOW_CTX_DAG_RUN_ID: ti?.run_id ?? context.run_id,
    };
    for (const [name, value] of Object.entries(vars)) {
      if (value !== undefined && value !== null) base[name] = String(value);
    }
    return base;
  }

  #run(
    cwd: string,
    env: NodeJS.ProcessEnv,
    decoder: TextDecoder,
    context: Context,
  ): Promise<{ exitCode: number; lastLine: string }> {
    const { log, signal } = context;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    log.info(`Running command: ${JSON.stringify(['bash', '-c', this.bash_command])}`);

    return new Promise((resolve, reject) => {
      // detached: the command gets its own process group, so an abort can kill
      // everything it started (pipelines, background jobs), not just bash.
      const child = spawn('bash', ['-c', this.bash_command], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let lastLine = '';
      let killTimer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        killGroup(child, 'SIGTERM');
        killTimer = setTimeout(() => killGroup(child, 'SIGKILL'), KILL_GRACE_MS);
        killTimer.unref();
      };
      signal?.addEventListener('abort', onAbort, { once: true });

      log.info('Output:');
      const stdoutDone = forEachLine(child.stdout!, decoder, (line) => {
        lastLine = line;
        log.info(line);
      });
      // stderr has its own decoder: a multi-byte character may be split across chunks of either stream.
      const stderrDone = forEachLine(child.stderr!, new TextDecoder(decoder.encoding), (line) => log.info(line));

      child.on('error', (error) => {
        signal?.removeEventListener('abort', onAbort);
        reject(new AirflowException(`Could not run bash: ${error.message}`, { cause: error }));
      });
      child.on('close', (code, signalName) => {
        signal?.removeEventListener('abort', onAbort);
        clearTimeout(killTimer);
        void Promise.all([stdoutDone, stderrDone]).finally(() => {
          if (signal?.aborted) return reject(abortError(signal));
          // Python reports death by signal N as return code -N; Airflow users expect that.
          const exitCode = code ?? -(signalName ? (osConstants.signals[signalName] ?? 1) : 1);
          log.info(`Command exited with return code ${exitCode}`);
          resolve({ exitCode, lastLine });
        });
      });
    });
  }
}

async function checkCwd(cwd: string): Promise<void> {
  let info;
  try {
    info = await stat(cwd);
  } catch {
    throw new AirflowException(`Can not find the cwd: ${cwd}`);
  }
  if (!info.isDirectory()) throw new AirflowException(`The cwd ${cwd} must be a directory`);
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  // Not skipped when bash itself has exited: background jobs it started may
  // still hold the group (and our pipes) open. Callers stop at 'close'.
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new AirflowException('Task was aborted; the bash command was killed');
}
