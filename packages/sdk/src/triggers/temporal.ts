/**
 * Time triggers (Airflow's DateTimeTrigger and TimeDeltaTrigger): fire at a
 * moment. The triggerer runs thousands of these in one process at no cost
 * while no worker slot is held.
 */
import { durationToSeconds, type Duration } from '../duration.ts';
import { BaseTrigger, type TriggerEvent } from './base.ts';

/** How a trigger class shipped with the SDK names itself for the triggerer. */
export const SDK_CLASSPATH = '@updraft/sdk#';

export class DateTimeTrigger extends BaseTrigger {
  readonly moment: Date;

  constructor(kwargs: { moment: Date | string }) {
    super();
    this.moment = new Date(kwargs.moment);
    if (Number.isNaN(this.moment.getTime())) throw new Error(`DateTimeTrigger: moment '${String(kwargs.moment)}' is not a date`);
  }

  serialize(): [string, Record<string, unknown>] {
    return [`${SDK_CLASSPATH}DateTimeTrigger`, { moment: this.moment.toISOString() }];
  }

  async *run(): AsyncGenerator<TriggerEvent> {
    // long waits are cut in steps: timers over ~24.8 days overflow
    for (let left = this.moment.getTime() - Date.now(); left > 0; left = this.moment.getTime() - Date.now()) {
      // unref: a trigger waiting for hours must not keep a stopping triggerer alive
      await new Promise((resolve) => setTimeout(resolve, Math.min(left, 3_600_000)).unref());
    }
    yield { payload: { status: 'success', moment: this.moment.toISOString() } };
  }
}

/** Fires `delta` after it is created (in the task process, at defer time). */
export class TimeDeltaTrigger extends DateTimeTrigger {
  constructor(kwargs: { delta: Duration } | { moment: Date | string }) {
    super('moment' in kwargs ? kwargs : { moment: new Date(Date.now() + durationToSeconds(kwargs.delta) * 1000) });
  }

  override serialize(): [string, Record<string, unknown>] {
    return [`${SDK_CLASSPATH}TimeDeltaTrigger`, { moment: this.moment.toISOString() }];
  }
}
