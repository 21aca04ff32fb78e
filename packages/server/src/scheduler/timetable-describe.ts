/**
 * Plain-English summaries of schedules for the UI and CLI. Covers the shapes
 * people actually write (presets, "every N", fixed times on chosen days);
 * anything fancier (L, W, #, day-of-month combined with day-of-week) returns
 * null and the caller shows the expression itself, which is more honest than a
 * half-right sentence.
 */

const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTH_NAMES = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
];
const DAY_ABBR = DAY_NAMES.map((d) => d.slice(0, 3).toUpperCase());
const MONTH_ABBR = MONTH_NAMES.map((m) => m.slice(0, 3).toUpperCase());

type Field =
  | { kind: 'any' }
  | { kind: 'step'; step: number }
  | { kind: 'values'; values: number[] };

/**
 * Read one cron field into something a sentence can be built from. `names` are
 * the three-letter aliases, numbered from `min`. Returns null for syntax this
 * module does not put into words.
 */
function parseField(text: string, min: number, max: number, names?: string[]): Field | null {
  if (text === '*' || text === '?') return { kind: 'any' };
  const everyN = /^\*\/(\d+)$/.exec(text);
  if (everyN) {
    const step = Number(everyN[1]);
    return step === 1 ? { kind: 'any' } : { kind: 'step', step };
  }
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const named = names
      ? item.toUpperCase().replace(/[A-Z]{3}/g, (n) => {
          const i = names.indexOf(n);
          return i < 0 ? n : String(i + min);
        })
      : item;
    const m = /^(\*|\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(named);
    if (!m) return null;
    const lo = m[1] === '*' ? min : Number(m[1]);
    const hi = m[1] === '*' ? max : m[2] !== undefined ? Number(m[2]) : m[3] !== undefined ? max : lo;
    const step = m[3] !== undefined ? Number(m[3]) : 1;
    if (lo < min || hi > max || lo > hi || step < 1) return null;
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return { kind: 'values', values: [...values].sort((a, b) => a - b) };
}

function joinList(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** Weekdays as "Monday through Friday" when they form a run, otherwise listed. */
function weekdays(values: number[]): string {
  const days = [...new Set(values.map((v) => v % 7))].sort((a, b) => a - b);
  const contiguous = days.every((d, i) => i === 0 || d === days[i - 1] + 1);
  if (days.length >= 3 && contiguous) return `${DAY_NAMES[days[0]]} through ${DAY_NAMES[days[days.length - 1]]}`;
  return joinList(days.map((d) => DAY_NAMES[d]));
}

function monthList(values: number[]): string {
  return joinList(values.map((m) => MONTH_NAMES[m - 1]));
}

/** The time-of-day half of the sentence; `daily` says it names clock times, which reads "... every day". */
function describeTime(minute: Field, hour: Field): { text: string; daily: boolean } | null {
  const minuteWords =
    minute.kind === 'any' ? 'Every minute' : minute.kind === 'step' ? `Every ${plural(minute.step, 'minute')}` : null;
  if (hour.kind === 'any') {
    if (minuteWords) return { text: minuteWords, daily: false };
    const mins = (minute as { values: number[] }).values;
    if (mins.length === 1 && mins[0] === 0) return { text: 'Every hour', daily: false };
    const label = mins.length === 1 ? 'minute' : 'minutes';
    return { text: `At ${label} ${joinList(mins.map(String))} past every hour`, daily: false };
  }
  if (hour.kind === 'step') {
    if (minute.kind !== 'values' || minute.values.length !== 1) return null;
    const m = minute.values[0];
    // "Every 5 hours" would be wrong across midnight (20:00 → 00:00 is 4 hours),
    // so only say it when the steps divide the day evenly.
    if (m === 0 && 24 % hour.step === 0) return { text: `Every ${plural(hour.step, 'hour')}`, daily: false };
    return { text: `At minute ${m} past every ${ordinal(hour.step)} hour`, daily: false };
  }
  if (minuteWords) {
    const hours = hour.values;
    const contiguous = hours.every((h, i) => i === 0 || h === hours[i - 1] + 1);
    const span =
      contiguous && hours.length > 1
        ? `from ${pad(hours[0])}:00 through ${pad(hours[hours.length - 1])}:59`
        : `during hour${hours.length === 1 ? '' : 's'} ${joinList(hours.map(String))}`;
    return { text: `${minuteWords} ${span}`, daily: true };
  }
  const mins = (minute as { values: number[] }).values;
  if (mins.length * hour.values.length > 8) {
    return {
      text: `At minutes ${joinList(mins.map(String))} past hours ${joinList(hour.values.map(String))}`,
      daily: true,
    };
  }
  const times = hour.values.flatMap((h) => mins.map((m) => `${pad(h)}:${pad(m)}`));
  return { text: `At ${joinList(times)}`, daily: true };
}

/** The days half of the sentence, or '' for "no restriction" on a sub-daily schedule. */
function describeDays(dom: Field, month: Field, dow: Field, daily: boolean): string | null {
  if (dom.kind === 'step' || dow.kind === 'step') return null;
  const months = month.kind === 'any' ? null : month.kind === 'step' ? stepValues(month.step, 1, 12) : month.values;
  if (dom.kind === 'values' && dow.kind === 'values') return null; // cron ORs them; no short sentence says that clearly
  if (dom.kind === 'values') {
    const days = dom.values;
    if (days.length === 1 && months?.length === 1) return `on ${MONTH_NAMES[months[0] - 1]} ${days[0]} every year`;
    const label = days.length === 1 ? 'day' : 'days';
    return `on ${label} ${joinList(days.map(String))} of ${months ? monthList(months) : 'every month'}`;
  }
  const inMonths = months ? `in ${monthList(months)}` : '';
  if (dow.kind === 'values') {
    const dayWords =
      dow.values.length === 1 && !months && daily ? `every ${DAY_NAMES[dow.values[0] % 7]}` : `on ${weekdays(dow.values)}`;
    return [dayWords, inMonths].filter(Boolean).join(' ');
  }
  if (months) return daily ? `every day ${inMonths}` : inMonths;
  return daily ? 'every day' : '';
}

function stepValues(step: number, min: number, max: number): number[] {
  const out: number[] = [];
  for (let v = min; v <= max; v += step) out.push(v);
  return out;
}

/** A sentence for a normalized five-field cron expression, or null when it is beyond this module. */
export function describeCron(expression: string): string | null {
  const parts = expression.split(' ');
  if (parts.length !== 5) return null;
  const minute = parseField(parts[0], 0, 59);
  const hour = parseField(parts[1], 0, 23);
  const dom = parseField(parts[2], 1, 31);
  const month = parseField(parts[3], 1, 12, MONTH_ABBR);
  const dow = parseField(parts[4], 0, 7, DAY_ABBR);
  if (!minute || !hour || !dom || !month || !dow) return null;
  const time = describeTime(minute, hour);
  if (!time) return null;
  const days = describeDays(dom, month, dow, time.daily);
  if (days === null) return null;
  return days ? `${time.text} ${days}` : time.text;
}

/** "Every 6 hours", "Every day", "Every 1 hour and 30 minutes". */
export function describeDelta(seconds: number): string {
  const units: [number, string][] = [
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
  ];
  let rest = seconds;
  const parts: string[] = [];
  for (const [size, unit] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(plural(n, unit));
    rest -= n * size;
  }
  // Round away float noise from fractional deltas (0.1 + 0.2 …) without hiding real fractions.
  rest = Math.round(rest * 1000) / 1000;
  if (rest > 0) parts.push(plural(rest, 'second'));
  if (parts.length === 0) return 'Every 0 seconds';
  if (parts.length === 1 && parts[0].startsWith('1 ')) return `Every ${parts[0].slice(2)}`;
  return `Every ${joinList(parts)}`;
}
