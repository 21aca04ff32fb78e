/**
 * Cron arithmetic for the timetable: the ticks of a cron expression in an IANA
 * timezone, as instants. croner does the calendar work; this file pins down the
 * options and the boundary rules (strictly before/after, at-or-before/after) the
 * data-interval logic relies on, so timetable.ts never reasons about croner.
 */
import { Cron, CronPattern } from 'croner';

/**
 * Airflow's presets. The SDK normalizes them already; expanding them here too
 * keeps a hand-written or older serialized DAG working, and @quarterly is one
 * croner does not know.
 */
const PRESETS: Record<string, string> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@quarterly': '0 0 1 */3 *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
};

/** The expression with presets expanded and whitespace collapsed, as the rest of this module reads it. */
export function normalizeCron(expression: string): string {
  const trimmed = expression.trim();
  return PRESETS[trimmed.toLowerCase()] ?? trimmed.split(/\s+/).join(' ');
}

/**
 * Airflow decides DST handling by whether the schedule runs every hour, and it
 * asks the parsed expression, so "0 0-23 * * *" counts as hourly just like
 * "0 * * * *". croner decides by the text (a wildcard in the hour field makes an
 * "interval job"), so write an all-hours field as "*" before handing it over.
 */
function hourFieldAsAirflowSeesIt(expression: string): string {
  const parts = expression.split(' ');
  if (parts.length !== 5 || parts[1] === '*') return expression;
  const pattern = new CronPattern(expression, undefined, { mode: '5-part' });
  if (!pattern.hour.every((v) => v !== 0)) return expression;
  parts[1] = '*';
  return parts.join(' ');
}

export interface CronTicks {
  /** The first tick strictly after `d`, or null when the expression never fires again. */
  after(d: Date): Date | null;
  /** The last tick strictly before `d`, or null. */
  before(d: Date): Date | null;
  /** `d` itself when it is a tick, otherwise the next one (Airflow's _align_to_next). */
  atOrAfter(d: Date): Date | null;
  /** `d` itself when it is a tick, otherwise the previous one (Airflow's _align_to_prev). */
  atOrBefore(d: Date): Date | null;
}

function build(expression: string, timezone: string): CronTicks {
  const cron = new Cron(hourFieldAsAirflowSeesIt(expression), {
    timezone,
    // Airflow's cron is the classic five fields; croner would read a sixth
    // field as seconds at the front, where croniter reads it at the end.
    mode: '5-part',
    // Airflow localizes every non-hourly time as a single wall-clock time: it
    // runs once when the time repeats at fall-back and after the gap at
    // spring-forward. croner's default treats "30 1,13 * * *" as an interval job
    // (runs twice at fall-back); "no-wildcard" makes lists and ranges fixed-time
    // too, leaving only wildcard hours (every hour) to run on every real hour.
    fixedTimeRule: 'no-wildcard',
    paused: true,
  });
  // Ticks are whole seconds. croner's "previous" already includes a tick earlier
  // in the same second as the reference, and its "next" is strictly after, so
  // a 1 ms nudge turns either into the inclusive variant.
  const after = (d: Date): Date | null => cron.nextRun(d);
  const before = (d: Date): Date | null => cron.previousRuns(1, d)[0] ?? null;
  return {
    after,
    before,
    atOrAfter: (d) => after(new Date(d.getTime() - 1)),
    atOrBefore: (d) => before(new Date(d.getTime() + 1)),
  };
}

/**
 * The scheduler asks about the same few DAGs over and over; parsing the
 * expression each time is wasted work. Bounded so a long-lived process that
 * sees many edited schedules does not grow without limit.
 */
const cache = new Map<string, CronTicks>();
const CACHE_LIMIT = 512;

/** Ticks of a (normalized or preset) cron expression in `timezone`. Throws croner's error when it does not parse. */
export function cronTicks(expression: string, timezone: string): CronTicks {
  const normalized = normalizeCron(expression);
  const key = `${timezone}\u0000${normalized}`;
  let ticks = cache.get(key);
  if (ticks === undefined) {
    ticks = build(normalized, timezone);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, ticks);
  }
  return ticks;
}
