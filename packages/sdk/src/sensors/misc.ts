/**
 * The small core sensors of Airflow's example_sensors: TimeSensor (a time of
 * day), BashSensor (a command's exit code), PythonSensor (a function) and
 * DayOfWeekSensor.
 */
import { spawn } from 'node:child_process';
import { withDefaultArgs } from '../baseoperator.ts';
import { runMoment, withCurrentContext, type Context } from '../context.ts';
import { MomentSensor } from './time.ts';
import { findXComArgs, resolveXComArgs } from '../xcomarg.ts';
import { BaseSensorOperator, type BaseSensorOptions, type PokeResult } from './base.ts';

export interface TimeSensorOptions extends BaseSensorOptions {
  /** "HH:MM" or "HH:MM:SS", in the DAG's timezone (UTC here when the DAG has none) */
  target_time: string;
}

/** Waits until a time of day on the day the run's data interval ends. */
export class TimeSensor extends MomentSensor {
  static override template_fields = ['target_time'];
  target_time: string;

  constructor(options: TimeSensorOptions) {
    super(options);
    this.target_time = options.target_time;
    if (!/^\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(this.target_time)) throw new Error(`task '${this.task_id}': target_time '${this.target_time}' is not HH:MM[:SS]`);
  }

  target(context: Context): Date {
    const base = context.data_interval_end ?? runMoment(context);
    const [h, m, sec = '0'] = this.target_time.split(':');
    const day = new Date(Date.UTC(base.getUTCFullYear(), base.getUTCMonth(), base.getUTCDate()));
    return new Date(day.getTime() + (Number(h) * 3600 + Number(m) * 60 + Number(sec)) * 1000);
  }
}

export class TimeSensorAsync extends TimeSensor {
  constructor(options: TimeSensorOptions) {
    super({ ...options, deferrable: true });
  }
}

export interface BashSensorOptions extends BaseSensorOptions {
  bash_command: string;
  env?: Record<string, string> | null;
}

/** Done when the command exits with 0 (Airflow's BashSensor). */
export class BashSensor extends BaseSensorOperator {
  static override template_fields = ['bash_command', 'env'];
  bash_command: string;
  env: Record<string, string> | null;

  constructor(options: BashSensorOptions) {
    super(options);
    this.bash_command = options.bash_command;
    this.env = options.env ?? null;
  }

  poke(context: Context): Promise<boolean> {
    context.ti.log.info(`Running command: ${this.bash_command}`);
    return new Promise((resolve, reject) => {
      const child = spawn('bash', ['-c', this.bash_command], { env: this.env ? { ...process.env, ...this.env } : process.env, stdio: ['ignore', 'pipe', 'pipe'] });
      const relay = (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n')) if (line) context.ti.log.info(line);
      };
      child.stdout.on('data', relay);
      child.stderr.on('data', relay);
      child.on('error', reject);
      child.on('close', (code) => {
        context.ti.log.info(`Command exited with return code ${code}`);
        resolve(code === 0);
      });
    });
  }
}

export interface PythonSensorOptions extends BaseSensorOptions {
  python_callable: (...args: any[]) => PokeResult | Promise<PokeResult>;
  op_args?: unknown[];
  op_kwargs?: Record<string, unknown>;
}

/** Done when the function returns true (or a PokeReturnValue that is done). */
export class PythonSensor extends BaseSensorOperator {
  static override template_fields = ['op_args', 'op_kwargs'];
  python_callable: PythonSensorOptions['python_callable'];
  op_args: unknown[];
  op_kwargs: Record<string, unknown>;

  constructor(options: PythonSensorOptions) {
    const args = withDefaultArgs(options);
    if (typeof args.python_callable !== 'function') throw new TypeError(`task '${args.task_id}': python_callable must be a function`);
    super(args);
    this.python_callable = args.python_callable;
    this.op_args = args.op_args ?? [];
    this.op_kwargs = args.op_kwargs ?? {};
    for (const arg of findXComArgs([this.op_args, this.op_kwargs])) this.setUpstream(arg);
  }

  async poke(context: Context): Promise<PokeResult> {
    const [args, kwargs] = await Promise.all([resolveXComArgs(this.op_args), resolveXComArgs(this.op_kwargs)]);
    return withCurrentContext(context, () => this.python_callable(...(args as unknown[]), { ...context, ...(kwargs as object) }));
  }
}

const WEEK_DAYS = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'];

export interface DayOfWeekSensorOptions extends BaseSensorOptions {
  /** "MONDAY", or several: ["SATURDAY", "SUNDAY"] */
  week_day: string | string[];
  /** check the run's logical date instead of today */
  use_task_logical_date?: boolean;
}

export class DayOfWeekSensor extends BaseSensorOperator {
  week_day: string[];
  use_task_logical_date: boolean;

  constructor(options: DayOfWeekSensorOptions) {
    super(options);
    this.week_day = (Array.isArray(options.week_day) ? options.week_day : [options.week_day]).map((d) => d.toUpperCase());
    const unknown = this.week_day.filter((d) => !WEEK_DAYS.includes(d));
    if (unknown.length) throw new Error(`task '${this.task_id}': unknown week_day ${unknown.join(', ')}; use ${WEEK_DAYS.join(', ')}`);
    this.use_task_logical_date = options.use_task_logical_date ?? false;
  }

  poke(context: Context): boolean {
    const day = this.use_task_logical_date && context.logical_date ? context.logical_date : new Date();
    const name = WEEK_DAYS[day.getUTCDay()];
    context.ti.log.info(`Poking until weekday is in ${this.week_day.join(', ')}, today is ${name}`);
    return this.week_day.includes(name);
  }
}
