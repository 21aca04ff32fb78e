/**
 * Every time on every page goes through useTime(): the zone is the one the
 * user picked (kept in localStorage), else `[webserver] default_ui_timezone`,
 * else UTC. "system" means the browser's own zone, as in Airflow.
 */
import { createContext, useContext, useMemo } from 'react';

export const TZ_KEY = 'updraft.timezone';
export const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** an IANA name for a setting value ("UTC", "system", "America/New_York") */
export function resolveZone(setting: string): string {
  if (!setting || setting.toLowerCase() === 'utc') return 'UTC';
  if (setting.toLowerCase() === 'system' || setting === 'browser') return browserZone();
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: setting });
    return setting;
  } catch {
    return 'UTC';
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string) {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });
    formatters.set(zone, f);
  }
  return f;
}

/** "2024-01-02 03:04:05 UTC" in the zone ("03:04:05.678" with ms, for log lines) */
export function formatIn(zone: string, value: string | number | Date | null | undefined, withZone = true, ms = false): string {
  if (value === null || value === undefined || value === '') return '';
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  const p = Object.fromEntries(formatter(zone).formatToParts(d).map((x) => [x.type, x.value]));
  const text = `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}${ms ? `.${String(d.getMilliseconds()).padStart(3, '0')}` : ''}`;
  return withZone ? `${text} ${p.timeZoneName}` : text;
}

export interface TimeApi {
  /** the setting as chosen: "UTC", "system" or an IANA name */
  setting: string;
  zone: string;
  setSetting(value: string): void;
  format(value: string | number | Date | null | undefined): string;
}

export const TimeContext = createContext<TimeApi>({ setting: 'UTC', zone: 'UTC', setSetting: () => undefined, format: (v) => formatIn('UTC', v) });

export function useTime(): TimeApi {
  return useContext(TimeContext);
}

export function useTimeApi(setting: string, setSetting: (v: string) => void): TimeApi {
  return useMemo(() => {
    const zone = resolveZone(setting);
    return { setting, zone, setSetting, format: (v) => formatIn(zone, v) };
  }, [setting, setSetting]);
}

/** "1h 02m 03s" */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h) return `${h}h ${String(m).padStart(2, '0')}m ${String(sec).padStart(2, '0')}s`;
  if (m) return `${m}m ${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}

/** Time: a <time> element in the chosen zone */
export function Time({ value }: { value: string | null | undefined }) {
  const { format } = useTime();
  if (!value) return <span className="muted">–</span>;
  return <time dateTime={value}>{format(value)}</time>;
}

/** The instant a wall-clock time ("2024-01-02T03:04", from <input type=datetime-local>) names in `zone`. */
export function zonedToUtc(local: string, zone: string): Date {
  const [date, time = '00:00'] = local.split('T');
  const [y, mo, d] = date.split('-').map(Number);
  const [h, mi, s = 0] = time.split(':').map(Number);
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s);
  // the zone's offset at that moment, from how the zone displays it
  const offset = (instant: number) => {
    const p = Object.fromEntries(
      new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
        .formatToParts(new Date(instant))
        .map((x) => [x.type, Number(x.value)]),
    );
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - instant;
  };
  const first = asUtc - offset(asUtc);
  return new Date(asUtc - offset(first));
}
