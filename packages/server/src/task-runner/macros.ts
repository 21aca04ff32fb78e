/**
 * Airflow's `macros` namespace and its date filters (ds, ts …), for templates
 * and for task code's context. Names and argument orders are Airflow's.
 */
import crypto from 'node:crypto';
import { splitKeywords } from './template-args.ts';
import { isoformat, pyJsonDumps, strftime, strptime, timedelta } from './py-values.ts';

/** macros.ds_add('2024-01-01', 5) → '2024-01-06' */
export function dsAdd(ds: string, days: number): string {
  const d = strptime(String(ds), '%Y-%m-%d');
  return strftime(new Date(d.getTime() + Number(days) * 86_400e3), '%Y-%m-%d');
}

/** macros.ds_format('2024-01-05', '%Y-%m-%d', '%m-%d-%y') → '01-05-24' */
export function dsFormat(ds: string, inputFormat = '%Y-%m-%d', outputFormat = '%Y-%m-%d'): string {
  return strftime(strptime(String(ds), inputFormat), outputFormat);
}

function toDate(value: unknown): Date {
  if (value instanceof Date) return value;
  const d = new Date(String(value));
  if (Number.isNaN(d.getTime())) throw new TypeError(`not a date: ${String(value)}`);
  return d;
}

/** Python's datetime class: datetime(2024, 1, 1), datetime.now(), datetime.strptime(…) — UTC. */
function makeDatetime() {
  const datetime = (...args: unknown[]) => {
    const { positional, keywords } = splitKeywords(args);
    const names = ['year', 'month', 'day', 'hour', 'minute', 'second', 'microsecond'];
    const v = Object.fromEntries(names.map((n, i) => [n, Number(keywords[n] ?? positional[i] ?? (i < 3 ? 1 : 0))]));
    return new Date(Date.UTC(v.year, v.month - 1, v.day, v.hour, v.minute, v.second, Math.floor(v.microsecond / 1000)));
  };
  return Object.assign(datetime, {
    now: () => new Date(),
    utcnow: () => new Date(),
    today: () => new Date(),
    strptime: (text: string, format: string) => strptime(String(text), String(format)),
    fromisoformat: (text: string) => toDate(text),
    fromtimestamp: (seconds: number) => new Date(Number(seconds) * 1000),
  });
}

export const macros = {
  ds_add: dsAdd,
  ds_format: dsFormat,
  datetime: makeDatetime(),
  timedelta: (...args: unknown[]) => {
    const { positional, keywords } = splitKeywords(args);
    return timedelta(positional, keywords);
  },
  uuid: { uuid4: () => crypto.randomUUID() },
  random: () => Math.random(),
  time: { time: () => Date.now() / 1000 },
  json: {
    dumps: (value: unknown) => JSON.stringify(value),
    loads: (text: string) => JSON.parse(String(text)),
  },
};

/** Filters Airflow adds to its Jinja environment, plus Jinja's tojson. */
export const airflowFilters: Record<string, (...args: any[]) => unknown> = {
  ds: (value: unknown) => strftime(toDate(value), '%Y-%m-%d'),
  ds_nodash: (value: unknown) => strftime(toDate(value), '%Y%m%d'),
  ts: (value: unknown) => isoformat(toDate(value)),
  ts_nodash: (value: unknown) => strftime(toDate(value), '%Y%m%dT%H%M%S'),
  ts_nodash_with_tz: (value: unknown) => isoformat(toDate(value)).replace(/[-:]/g, ''),
  tojson: (value: unknown, ...args: unknown[]) => {
    const { positional, keywords } = splitKeywords(args);
    return pyJsonDumps(value, (keywords.indent ?? positional[0] ?? null) as number | null);
  },
};
