/**
 * Timezone-aware date handling with nothing but Intl: validating IANA names,
 * reading a wall-clock date ("2021-01-01") as midnight in the DAG's timezone,
 * and printing instants as ISO-8601 with that timezone's offset.
 */

/**
 * UTC (the default) needs no Intl: the first Intl date format of a process loads
 * ICU's data, ~10 ms of CPU in every task process that would otherwise never use it.
 */
function isUtc(timezone: string): boolean {
  const name = timezone.toLowerCase();
  return name === 'utc' || name === 'etc/utc';
}

export function isValidTimezone(timezone: string): boolean {
  if (typeof timezone !== 'string' || timezone === '') return false;
  if (isUtc(timezone)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timezone, formatter);
  }
  return formatter;
}

/** Offset of `timezone` from UTC at `instantMs`, in milliseconds (east positive). */
export function timezoneOffsetMs(instantMs: number, timezone: string): number {
  if (isUtc(timezone)) return 0;
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timezone).formatToParts(new Date(instantMs))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const wallAsUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  // formatToParts drops milliseconds; compare whole seconds only.
  return wallAsUtc - Math.floor(instantMs / 1000) * 1000;
}

/**
 * The instant at which clocks in `timezone` show the given wall time. For a
 * time skipped by a DST jump the later offset wins, like pendulum does.
 */
export function wallTimeToInstant(
  wall: { year: number; month: number; day: number; hour?: number; minute?: number; second?: number; ms?: number },
  timezone: string,
): Date {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour ?? 0, wall.minute ?? 0, wall.second ?? 0, wall.ms ?? 0);
  // Two passes: the first offset guess can be off by one DST shift.
  let instant = asUtc - timezoneOffsetMs(asUtc, timezone);
  instant = asUtc - timezoneOffsetMs(instant, timezone);
  return new Date(instant);
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const NAIVE_DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/;
const WITH_OFFSET = /(?:Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Reads a DAG date option. Date objects are instants already; strings without
 * an offset are wall-clock times in the DAG's timezone (Airflow's rule for
 * naive datetimes). Throws a short reason on garbage.
 */
export function parseDagDate(value: Date | string, timezone: string): Date {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new Error('invalid Date');
    return value;
  }
  if (typeof value !== 'string') throw new Error('must be a Date or an ISO-8601 string');
  const text = value.trim();
  const match = DATE_ONLY.exec(text) ?? NAIVE_DATETIME.exec(text);
  if (match) {
    // Date-only matches have no time groups: index explicitly so they read as 0.
    const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(match[i] ?? 0));
    const ms = match[7] ? Math.floor(Number(`0.${match[7]}`) * 1000) : 0;
    // Reject 2021-02-30 and friends, which Date.UTC would silently roll over.
    const probe = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
    if (probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
      throw new Error('not a valid calendar date/time');
    }
    return wallTimeToInstant({ year, month, day, hour, minute, second, ms }, timezone);
  }
  if (WITH_OFFSET.test(text) && /^\d{4}-\d{2}-\d{2}[T ]/.test(text)) {
    const parsed = new Date(text.replace(' ', 'T'));
    if (!Number.isNaN(parsed.getTime())) return parsed;
  }
  throw new Error('not an ISO-8601 date (expected e.g. 2021-01-01 or 2021-01-01T00:00:00+00:00)');
}

/** ISO-8601 with the timezone's offset, e.g. "2021-01-01T00:00:00+01:00". */
export function formatInTimezone(date: Date, timezone: string): string {
  const instant = date.getTime();
  const offsetMs = timezoneOffsetMs(instant, timezone);
  const wall = new Date(instant + offsetMs);
  const ms = wall.getUTCMilliseconds();
  const base = wall.toISOString().slice(0, 19) + (ms ? `.${String(ms).padStart(3, '0')}` : '');
  const sign = offsetMs < 0 ? '-' : '+';
  const abs = Math.abs(offsetMs) / 60_000;
  return `${base}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
