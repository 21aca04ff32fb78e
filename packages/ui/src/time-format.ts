/**
 * Time zones without React: formatting an instant in a zone, durations, and the
 * instant a wall-clock time names in a zone (the Trigger dialog's logical date).
 */

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
