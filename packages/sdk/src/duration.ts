/**
 * Durations as authors write them (a number of seconds or Airflow-timedelta-like
 * object) and their two serialized forms: seconds, and Python's timedelta text
 * which Airflow users recognise in the UI ("1 day, 0:00:00").
 */

export interface DurationSpec {
  days?: number;
  hours?: number;
  minutes?: number;
  seconds?: number;
}

/** Seconds, or a {days, hours, minutes, seconds} object. */
export type Duration = number | DurationSpec;

const UNIT_SECONDS: Record<keyof DurationSpec, number> = {
  days: 86_400,
  hours: 3_600,
  minutes: 60,
  seconds: 1,
};

export function isDurationSpec(value: unknown): value is DurationSpec {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/**
 * Converts a duration to seconds. Throws a plain Error with a short reason;
 * callers turn it into a DAG problem with context.
 */
export function durationToSeconds(value: Duration): number {
  let seconds: number;
  if (typeof value === 'number') {
    seconds = value;
  } else if (isDurationSpec(value)) {
    seconds = 0;
    for (const [unit, amount] of Object.entries(value)) {
      if (!(unit in UNIT_SECONDS)) {
        throw new Error(`unknown duration unit '${unit}' (expected days, hours, minutes, seconds)`);
      }
      if (amount === undefined) continue;
      if (typeof amount !== 'number' || !Number.isFinite(amount)) {
        throw new Error(`duration ${unit} must be a finite number`);
      }
      seconds += amount * UNIT_SECONDS[unit as keyof DurationSpec];
    }
  } else {
    throw new Error('a duration must be a number of seconds or {days, hours, minutes, seconds}');
  }
  if (!Number.isFinite(seconds)) throw new Error('a duration must be finite');
  if (seconds < 0) throw new Error('a duration cannot be negative');
  // Sub-microsecond noise from float arithmetic would make timedelta text ugly.
  return Math.round(seconds * 1e6) / 1e6;
}

/** Like durationToSeconds, but null/undefined stay null (optional options). */
export function optionalDurationToSeconds(value: Duration | null | undefined): number | null {
  return value === null || value === undefined ? null : durationToSeconds(value);
}

/** Python's str(timedelta(seconds=s)): "0:30:00", "1 day, 0:00:00", "2 days, 1:02:03.500000". */
export function formatTimedelta(totalSeconds: number): string {
  const micros = Math.round(totalSeconds * 1e6);
  const days = Math.floor(micros / 86_400_000_000);
  let rest = micros - days * 86_400_000_000;
  const hours = Math.floor(rest / 3_600_000_000);
  rest -= hours * 3_600_000_000;
  const minutes = Math.floor(rest / 60_000_000);
  rest -= minutes * 60_000_000;
  const seconds = Math.floor(rest / 1_000_000);
  const fraction = rest - seconds * 1_000_000;

  let text = `${hours}:${pad(minutes, 2)}:${pad(seconds, 2)}`;
  if (fraction > 0) text += `.${pad(fraction, 6)}`;
  if (days !== 0) text = `${days} day${Math.abs(days) === 1 ? '' : 's'}, ${text}`;
  return text;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}
