/**
 * Timetables: when a DAG runs and which data interval each run covers, with
 * Airflow's semantics (the "data interval" timetables of Airflow 2, which are
 * also Airflow 3's with create_cron_data_intervals = True).
 *
 * Everything here is a pure function of the serialized schedule and a clock
 * reading passed in, so the scheduler can store the result and tests can pin
 * time without mocks.
 *
 * The shape in one paragraph: a cron or delta run covers [start, end) and
 * happens at the END of that interval (run_after = end), with logical_date =
 * start. The first interval starts at start_date, moved up to the next cron
 * tick. Without catchup, the scheduler skips to the most recent interval that
 * has already ended. No interval starts after end_date.
 */
import type { SerializedSchedule } from '@updraft/sdk/serialized';
import { cronTicks, normalizeCron, type CronTicks } from './timetable-cron.ts';
import { describeCron, describeDelta } from './timetable-describe.ts';

export interface DataInterval {
  start: Date;
  end: Date;
}

export interface RunInfo {
  logical_date: Date;
  data_interval: DataInterval;
  /** The earliest the scheduler may create the run; may be in the future. */
  run_after: Date;
}

export interface TimetableInput {
  schedule: SerializedSchedule;
  /** IANA name; cron expressions are read on this wall clock. */
  timezone: string;
  /** ISO-8601 with a UTC offset, or null. */
  start_date: string | null;
  end_date: string | null;
  catchup: boolean;
}

/**
 * Offsets are required: a naive time would be read in the server's local zone
 * by Date, and silently scheduling in the wrong zone is worse than refusing.
 */
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})$/;

function parseInstant(value: string | null, field: 'start_date' | 'end_date'): Date | null {
  if (value === null) return null;
  const d = new Date(value);
  if (!ISO_WITH_OFFSET.test(value) || Number.isNaN(d.getTime())) {
    throw new Error(`${field} must be an ISO-8601 date-time with a UTC offset, got '${value}'`);
  }
  return d;
}

/** The schedule comes from JSON in the database, so a kind this version does not know can reach us. */
function unknownKind(schedule: never): string {
  return `unknown schedule kind '${(schedule as { kind: unknown }).kind}'`;
}

const laterOf = (a: Date, b: Date): Date => (a.getTime() >= b.getTime() ? a : b);

function intervalRun(start: Date, end: Date): RunInfo {
  return { logical_date: start, data_interval: { start, end }, run_after: end };
}

function exactRun(at: Date): RunInfo {
  return { logical_date: at, data_interval: { start: at, end: at }, run_after: at };
}

function afterEndDate(start: Date, end: Date | null): boolean {
  return end !== null && start.getTime() > end.getTime();
}

function nextCronRun(
  ticks: CronTicks,
  start: Date,
  end: Date | null,
  catchup: boolean,
  last: DataInterval | null,
  now: Date,
): RunInfo | null {
  // A start_date between ticks means "from the first tick on or after it":
  // @daily starting 10:17 first covers the next midnight-to-midnight.
  let earliest = ticks.atOrAfter(start);
  if (earliest === null) return null;
  if (!catchup) {
    // The most recent interval that has already ended is the one that ends at
    // the latest tick not after now; when now is exactly on a tick, that is the
    // interval ending now (Airflow prefers it over the one starting now).
    const latestEnd = ticks.atOrBefore(now);
    const latestStart = latestEnd && ticks.before(latestEnd);
    if (latestStart) earliest = laterOf(latestStart, earliest);
  }
  let begin = earliest;
  if (last !== null) {
    // Aligning down rather than using last.end as is keeps intervals on the
    // grid after the schedule was edited (Airflow does the same).
    const resumeAt = ticks.atOrBefore(last.end);
    if (resumeAt) begin = laterOf(resumeAt, begin);
  }
  if (afterEndDate(begin, end)) return null;
  const finish = ticks.after(begin);
  return finish ? intervalRun(begin, finish) : null;
}

/**
 * CronTriggerTimetable: a run at each tick, logical date = the tick, data
 * interval = `intervalSeconds` before it. Without catchup the first run is
 * the latest tick not after now (Airflow's rule).
 */
function nextCronTriggerRun(
  ticks: CronTicks,
  intervalSeconds: number,
  start: Date,
  end: Date | null,
  catchup: boolean,
  last: DataInterval | null,
  now: Date,
): RunInfo | null {
  let at = ticks.atOrAfter(start);
  if (at === null) return null;
  if (!catchup) {
    const latest = ticks.atOrBefore(now);
    if (latest) at = laterOf(latest, at);
  }
  if (last !== null) {
    const next = ticks.after(last.end);
    if (!next) return null;
    at = laterOf(next, at);
  }
  if (afterEndDate(at, end)) return null;
  return { logical_date: at, data_interval: { start: new Date(at.getTime() - intervalSeconds * 1000), end: at }, run_after: at };
}

/** EventsTimetable: the next listed moment after the last run (without catchup, not before the latest past one). */
function nextEventRun(dates: Date[], start: Date, end: Date | null, catchup: boolean, last: DataInterval | null, now: Date): RunInfo | null {
  let candidates = dates.filter((d) => d.getTime() >= start.getTime());
  if (!catchup) {
    const past = candidates.filter((d) => d.getTime() <= now.getTime());
    const latestPast = past[past.length - 1];
    if (latestPast) candidates = candidates.filter((d) => d.getTime() >= latestPast.getTime());
  }
  if (last !== null) candidates = candidates.filter((d) => d.getTime() > last.end.getTime());
  const at = candidates[0];
  if (!at || afterEndDate(at, end)) return null;
  return exactRun(at);
}

function nextDeltaRun(
  seconds: number,
  start: Date,
  end: Date | null,
  catchup: boolean,
  last: DataInterval | null,
  now: Date,
): RunInfo | null {
  const deltaMs = seconds * 1000;
  let earliest = start;
  if (!catchup) {
    // Airflow does not snap to a grid here: the latest interval is simply the
    // one ending now (to the second), so it runs right away.
    const nowSecond = Math.floor(now.getTime() / 1000) * 1000;
    earliest = laterOf(new Date(nowSecond - deltaMs), earliest);
  }
  const begin = last !== null ? laterOf(last.end, earliest) : earliest;
  if (afterEndDate(begin, end)) return null;
  return intervalRun(begin, new Date(begin.getTime() + deltaMs));
}

function nextContinuousRun(start: Date, end: Date | null, last: DataInterval | null, now: Date): RunInfo | null {
  let at = laterOf(now, start);
  if (last !== null) {
    at = laterOf(at, last.end);
    // Logical dates identify runs. If the clock has not moved past the last
    // (empty) interval, e.g. two calls in the same millisecond, step 1 ms so
    // the new run does not collide with the previous one.
    if (at.getTime() <= last.start.getTime()) at = new Date(last.start.getTime() + 1);
  }
  if (afterEndDate(at, end)) return null;
  return exactRun(at);
}

/** The next automated run after the last automated one, or null when there is none (Airflow's next_dagrun_info). */
export function nextRunInfo(t: TimetableInput, last: DataInterval | null, now: Date): RunInfo | null {
  const schedule = t.schedule;
  // asset-scheduled DAGs run on asset events, never by time
  if (schedule.kind === 'none' || schedule.kind === 'assets') return null;
  const start = parseInstant(t.start_date, 'start_date');
  const end = parseInstant(t.end_date, 'end_date');
  // Without a start_date nothing is scheduled (validateTimetable reports it);
  // Airflow's timetables likewise return nothing when there is no earliest time.
  if (start === null) return null;
  switch (schedule.kind) {
    case 'once':
      // A single run at start_date, regardless of catchup.
      if (last !== null || afterEndDate(start, end)) return null;
      return exactRun(start);
    case 'continuous':
      return nextContinuousRun(start, end, last, now);
    case 'cron': {
      const ticks = cronTicks(schedule.expression, schedule.timezone ?? t.timezone);
      if (schedule.trigger) return nextCronTriggerRun(ticks, schedule.trigger.interval_seconds, start, end, t.catchup, last, now);
      return nextCronRun(ticks, start, end, t.catchup, last, now);
    }
    case 'events':
      return nextEventRun(schedule.dates.map((d) => new Date(d)), start, end, t.catchup, last, now);
    case 'delta':
      return nextDeltaRun(schedule.seconds, start, end, t.catchup, last, now);
    default:
      throw new Error(unknownKind(schedule));
  }
}

/** Data interval for a manually triggered run at `logicalDate` (Airflow's infer_manual_data_interval). */
export function manualDataInterval(t: TimetableInput, logicalDate: Date): DataInterval {
  const schedule = t.schedule;
  if (schedule.kind === 'cron' && schedule.trigger) {
    return { start: new Date(logicalDate.getTime() - schedule.trigger.interval_seconds * 1000), end: logicalDate };
  }
  if (schedule.kind === 'cron') {
    // The last complete interval: triggered at 01:00 on the 25th, a @daily DAG
    // covers the 24th, just as its scheduled run at midnight would have.
    const ticks = cronTicks(schedule.expression, schedule.timezone ?? t.timezone);
    const end = ticks.atOrBefore(logicalDate);
    const start = end && ticks.before(end);
    if (end && start) return { start, end };
  } else if (schedule.kind === 'delta') {
    return { start: new Date(logicalDate.getTime() - schedule.seconds * 1000), end: logicalDate };
  }
  return { start: logicalDate, end: logicalDate };
}

/** UTC spellings get no suffix: they are what people assume when none is shown. */
function isUtc(timezone: string): boolean {
  return /^(?:Etc\/)?(?:UTC|UCT|GMT|Zulu|Universal|Greenwich)(?:[+-]0)?$/i.test(timezone);
}

/** Human summary for UI/CLI, e.g. "At 00:00 every day", "Every hour", "Once", "Never (manual only)" */
export function describeSchedule(t: TimetableInput): string {
  const schedule = t.schedule;
  switch (schedule.kind) {
    case 'none':
      return 'Never (manual only)';
    case 'assets':
      return 'When its assets are updated';
    case 'events':
      return schedule.description ?? `At ${schedule.dates.length} listed time${schedule.dates.length === 1 ? '' : 's'}`;
    case 'once':
      return 'Once';
    case 'continuous':
      return 'Continuously, one run at a time';
    case 'delta':
      return describeDelta(schedule.seconds);
    case 'cron': {
      const expression = normalizeCron(schedule.expression);
      const text = describeCron(expression) ?? `Cron "${expression}"`;
      return isUtc(t.timezone) ? text : `${text} (${t.timezone})`;
    }
    default:
      return unknownKind(schedule);
  }
}

function timezoneError(timezone: string): string | null {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return null;
  } catch {
    return `unknown timezone '${timezone}'`;
  }
}

/** The first problem that would make the schedule wrong or never run, as a user-facing message; null when fine. */
export function validateTimetable(t: TimetableInput): string | null {
  const schedule = t.schedule;
  const tzError = timezoneError(t.timezone);
  if (tzError) return tzError;
  let ticks: CronTicks | null = null;
  let expression = '';
  switch (schedule.kind) {
    case 'none':
    case 'once':
    case 'continuous':
    case 'assets':
      break;
    case 'events':
      if (schedule.dates.some((d) => Number.isNaN(new Date(d).getTime()))) return 'EventsTimetable has a date that is not a date';
      break;
    case 'cron':
      expression = schedule.expression;
      try {
        ticks = cronTicks(expression, t.timezone);
      } catch (e) {
        return `invalid cron expression '${schedule.expression}': ${(e as Error).message}`;
      }
      break;
    case 'delta':
      // Zero or negative would produce the same logical date forever.
      if (!Number.isFinite(schedule.seconds) || schedule.seconds <= 0) {
        return `schedule interval must be a positive number of seconds, got ${schedule.seconds}`;
      }
      break;
    default:
      return unknownKind(schedule);
  }
  let start: Date | null;
  let end: Date | null;
  try {
    start = parseInstant(t.start_date, 'start_date');
    end = parseInstant(t.end_date, 'end_date');
  } catch (e) {
    return (e as Error).message;
  }
  if (schedule.kind !== 'none' && start === null) return 'start_date is required for a scheduled DAG';
  if (start && end && end.getTime() < start.getTime()) {
    return `end_date ${t.end_date} is before start_date ${t.start_date}`;
  }
  // croner accepts expressions that name impossible dates ("0 0 30 2 *"); they
  // would just never run, which is almost certainly a typo worth reporting.
  if (ticks && ticks.atOrAfter(start ?? new Date(0)) === null) {
    return `cron expression '${expression}' never fires after start_date`;
  }
  return null;
}
