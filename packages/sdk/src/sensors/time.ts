/**
 * Sensors that wait for a moment: TimeDeltaSensor (the end of the run's data
 * interval plus a delta) and DateTimeSensor (a templated target time), with
 * their deferrable variants, which wait in the triggerer without a worker slot.
 */
import { runMoment, type Context } from '../context.ts';
import { durationToSeconds, type Duration } from '../duration.ts';
import { DateTimeTrigger } from '../triggers/temporal.ts';
import { BaseSensorOperator, type BaseSensorOptions } from './base.ts';

/**
 * A sensor that waits for a moment: done once target() has passed; when
 * deferrable, it waits in the triggerer (a DateTimeTrigger) instead of poking.
 */
export abstract class MomentSensor extends BaseSensorOperator {
  abstract target(context: Context): Date;

  poke(context: Context): boolean {
    const target = this.target(context);
    context.ti.log.info(`Checking if the time (${target.toISOString()}) has come`);
    return Date.now() >= target.getTime();
  }

  override async execute(context: Context): Promise<unknown> {
    if (!this.deferrable || this.poke(context)) return super.execute(context);
    this.defer({ trigger: new DateTimeTrigger({ moment: this.target(context) }), method_name: 'execute_complete' });
  }

  /** The trigger only fires once the moment has come: nothing left to do. */
  execute_complete(): void {}
}

export interface TimeDeltaSensorOptions extends BaseSensorOptions {
  delta: Duration;
}

export class TimeDeltaSensor extends MomentSensor {
  delta: number;

  constructor(options: TimeDeltaSensorOptions) {
    super(options);
    this.delta = durationToSeconds(options.delta);
  }

  target(context: Context): Date {
    // Airflow: data_interval_end + delta; a manual run without an interval waits from its logical date
    const base = context.data_interval_end ?? runMoment(context);
    return new Date(base.getTime() + this.delta * 1000);
  }

  override serializeFields(): Record<string, unknown> {
    return { ...super.serializeFields(), delta: this.delta };
  }
}

/** Airflow's TimeDeltaSensorAsync: TimeDeltaSensor that always defers. */
export class TimeDeltaSensorAsync extends TimeDeltaSensor {
  constructor(options: TimeDeltaSensorOptions) {
    super({ ...options, deferrable: true });
  }
}

export interface DateTimeSensorOptions extends BaseSensorOptions {
  /** a Date, an ISO string, or a template rendering to one ("{{ macros.ds_add(ds, 1) }}") */
  target_time: Date | string;
}

export class DateTimeSensor extends MomentSensor {
  static override template_fields = ['target_time'];
  target_time: string;

  constructor(options: DateTimeSensorOptions) {
    super(options);
    this.target_time = options.target_time instanceof Date ? options.target_time.toISOString() : String(options.target_time);
  }

  target(): Date {
    const at = new Date(this.target_time);
    if (Number.isNaN(at.getTime())) throw new Error(`target_time '${this.target_time}' is not a date`);
    return at;
  }

  override serializeFields(): Record<string, unknown> {
    return { ...super.serializeFields(), target_time: this.target_time };
  }
}

/** Airflow's DateTimeSensorAsync. */
export class DateTimeSensorAsync extends DateTimeSensor {
  constructor(options: DateTimeSensorOptions) {
    super({ ...options, deferrable: true });
  }
}
