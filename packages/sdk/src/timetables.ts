/**
 * Airflow's timetable classes, for when a cron string is not enough:
 *
 * - CronDataIntervalTimetable: what a cron string means (Airflow 2's
 *   behaviour): a run covers the interval between two ticks and starts at
 *   its end; logical date = the interval's start.
 * - CronTriggerTimetable: a run at each tick (logical date = the tick), with
 *   an optional data interval of `interval` before it (Airflow 3's default
 *   for cron strings when [scheduler] create_cron_data_intervals is off).
 * - EventsTimetable: runs at an explicit list of moments.
 */
import { durationToSeconds, type Duration } from './duration.ts';
import type { SerializedSchedule } from './serialized.ts';

export interface CronTimetableOptions {
  /** IANA zone the cron expression is read in; default: the DAG's timezone */
  timezone?: string;
}

export class CronDataIntervalTimetable {
  readonly cron: string;
  readonly timezone: string | null;

  constructor(cron: string, options: CronTimetableOptions = {}) {
    this.cron = cron;
    this.timezone = options.timezone ?? null;
  }
}

export class CronTriggerTimetable {
  readonly cron: string;
  readonly timezone: string | null;
  /** seconds of data interval ending at each tick (0: none) */
  readonly interval: number;

  constructor(cron: string, options: CronTimetableOptions & { interval?: Duration } = {}) {
    this.cron = cron;
    this.timezone = options.timezone ?? null;
    this.interval = durationToSeconds(options.interval ?? 0);
  }
}

export interface EventsTimetableOptions {
  event_dates: (Date | string)[];
  /** manual runs too take the latest event as their logical date */
  restrict_to_events?: boolean;
  description?: string | null;
}

export class EventsTimetable {
  readonly event_dates: Date[];
  readonly restrict_to_events: boolean;
  readonly description: string | null;

  constructor(options: EventsTimetableOptions) {
    this.event_dates = options.event_dates.map((d) => {
      const date = new Date(d);
      if (Number.isNaN(date.getTime())) throw new Error(`EventsTimetable: '${String(d)}' is not a date`);
      return date;
    });
    this.event_dates.sort((a, b) => a.getTime() - b.getTime());
    this.restrict_to_events = options.restrict_to_events ?? false;
    this.description = options.description ?? null;
  }
}

export type TimetableObject = CronDataIntervalTimetable | CronTriggerTimetable | EventsTimetable;

export function isTimetable(value: unknown): value is TimetableObject {
  return value instanceof CronDataIntervalTimetable || value instanceof CronTriggerTimetable || value instanceof EventsTimetable;
}

/** The serialized schedule of a timetable object; cron expressions are checked by the caller. */
export function timetableSchedule(t: TimetableObject): SerializedSchedule {
  if (t instanceof EventsTimetable) {
    return { kind: 'events', dates: t.event_dates.map((d) => d.toISOString()), restrict_to_events: t.restrict_to_events, description: t.description };
  }
  const tz = t.timezone ? { timezone: t.timezone } : {};
  if (t instanceof CronTriggerTimetable) return { kind: 'cron', expression: t.cron, trigger: { interval_seconds: t.interval }, ...tz };
  return { kind: 'cron', expression: t.cron, ...tz };
}
