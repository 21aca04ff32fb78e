/**
 * Airflow's BaseSensorOperator: poke() until it says done, or until `timeout`.
 *
 * mode "poke" holds the worker slot and sleeps between pokes in the same
 * process. mode "reschedule" pokes once per process: when not done it raises
 * AirflowRescheduleException, the task waits in up_for_reschedule without a
 * slot, and the scheduler runs it again at the next poke time. The timeout
 * counts from the first poke of the first try (the task runner passes that in
 * the context as `sensor_started_at`), so rescheduling does not reset it.
 */
import { BaseOperator, type BaseOperatorOptions } from '../baseoperator.ts';
import type { Context } from '../context.ts';
import { durationToSeconds, type Duration } from '../duration.ts';
import {
  AirflowException,
  AirflowFailException,
  AirflowRescheduleException,
  AirflowSensorTimeout,
  AirflowSkipException,
} from '../exceptions.ts';

export type SensorMode = 'poke' | 'reschedule';

export interface BaseSensorOptions extends BaseOperatorOptions {
  /** seconds between pokes (default 60) */
  poke_interval?: Duration;
  /** give up after this long (default 7 days) */
  timeout?: Duration;
  /** on timeout or failure, end skipped instead of failed */
  soft_fail?: boolean;
  mode?: SensorMode;
  /** grow the wait between pokes (Airflow's formula: interval · 2^(n-1), jittered, capped by max_wait) */
  exponential_backoff?: boolean;
  max_wait?: Duration | null;
  /** an error raised by poke() other than Airflow's own counts as "not yet" */
  silent_fail?: boolean;
  deferrable?: boolean;
}

/** What poke() may return to push an XCom when it is done. */
export class PokeReturnValue {
  readonly is_done: boolean;
  readonly xcom_value: unknown;

  constructor(is_done: boolean, xcom_value: unknown = undefined) {
    this.is_done = is_done;
    this.xcom_value = xcom_value;
  }
}

export type PokeResult = boolean | PokeReturnValue;

const SEVEN_DAYS = 7 * 86_400;

export abstract class BaseSensorOperator extends BaseOperator {
  poke_interval: number;
  timeout: number;
  soft_fail: boolean;
  mode: SensorMode;
  exponential_backoff: boolean;
  max_wait: number | null;
  silent_fail: boolean;
  deferrable: boolean;

  constructor(options: BaseSensorOptions) {
    super(options);
    this.poke_interval = durationToSeconds(options.poke_interval ?? 60);
    this.timeout = durationToSeconds(options.timeout ?? SEVEN_DAYS);
    this.soft_fail = options.soft_fail ?? false;
    this.mode = options.mode ?? 'poke';
    this.exponential_backoff = options.exponential_backoff ?? false;
    this.max_wait = options.max_wait == null ? null : durationToSeconds(options.max_wait);
    this.silent_fail = options.silent_fail ?? false;
    this.deferrable = options.deferrable ?? false;
    if (this.mode !== 'poke' && this.mode !== 'reschedule') {
      throw new Error(`task '${this.task_id}': mode must be 'poke' or 'reschedule', got '${String(this.mode)}'`);
    }
    if (this.poke_interval < 0 || this.timeout < 0) {
      throw new Error(`task '${this.task_id}': poke_interval and timeout must not be negative`);
    }
  }

  /** True (or a PokeReturnValue with is_done) once the condition holds. */
  abstract poke(context: Context): PokeResult | Promise<PokeResult>;

  async execute(context: Context): Promise<unknown> {
    const startedAt = context.sensor_started_at ? new Date(context.sensor_started_at).getTime() : Date.now();
    let pokes = context.sensor_poke_count ?? 0;
    for (;;) {
      const result = await this.#pokeOnce(context);
      if (result.is_done) return result.xcom_value;
      pokes += 1;
      const elapsed = (Date.now() - startedAt) / 1000;
      if (elapsed >= this.timeout) {
        const message = `Sensor has timed out; run duration of ${elapsed.toFixed(1)} seconds exceeds the specified timeout of ${this.timeout}.`;
        if (this.soft_fail) throw new AirflowSkipException(message);
        throw new AirflowSensorTimeout(message);
      }
      const wait = this.nextPokeInterval(pokes);
      if (this.mode === 'reschedule') throw new AirflowRescheduleException(new Date(Date.now() + wait * 1000));
      context.ti.log.info(`Condition not met; poking again in ${wait.toFixed(1)} s`);
      await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    }
  }

  async #pokeOnce(context: Context): Promise<PokeReturnValue> {
    try {
      const result = await this.poke(context);
      return result instanceof PokeReturnValue ? result : new PokeReturnValue(Boolean(result));
    } catch (error) {
      if (error instanceof AirflowSkipException || error instanceof AirflowFailException) throw error;
      if (this.silent_fail && !(error instanceof AirflowException)) {
        context.ti.log.warning(`poke failed, counted as not met (silent_fail): ${(error as Error).message}`);
        return new PokeReturnValue(false);
      }
      if (this.soft_fail) throw new AirflowSkipException(`Skipping due to soft_fail: ${(error as Error).message}`);
      throw error;
    }
  }

  /** Seconds until the next poke after `pokes` unsuccessful ones. */
  nextPokeInterval(pokes: number): number {
    if (!this.exponential_backoff) return this.poke_interval;
    const minBackoff = Math.max(this.poke_interval, 1);
    const grown = minBackoff * 2 ** (pokes - 1);
    // jitter so many sensors started together do not poke in lockstep
    const jittered = grown * (0.5 + Math.random() / 2);
    const capped = Math.max(minBackoff, jittered);
    return this.max_wait == null ? capped : Math.min(capped, this.max_wait);
  }

  override serializeFields(): Record<string, unknown> {
    return { ...super.serializeFields(), poke_interval: this.poke_interval, timeout: this.timeout, mode: this.mode, soft_fail: this.soft_fail };
  }
}
