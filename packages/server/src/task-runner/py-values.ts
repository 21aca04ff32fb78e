/**
 * Python value semantics that Airflow templates rely on, for JavaScript
 * values: how Jinja prints a value (str), Python's repr inside containers,
 * datetime's strftime/strptime/isoformat, timedelta, and Jinja's tojson.
 * Dates are always handled in UTC, as Airflow's template dates are.
 */

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

export class PyValueError extends Error {
  override name = 'ValueError';
}

/** Python's datetime.timedelta, kept in microseconds. */
export class Timedelta {
  readonly microsecondsTotal: number;

  constructor(microseconds: number) {
    this.microsecondsTotal = Math.round(microseconds);
  }

  get days(): number {
    return Math.floor(this.microsecondsTotal / 86_400e6);
  }

  get seconds(): number {
    return Math.floor((this.microsecondsTotal - this.days * 86_400e6) / 1e6);
  }

  get microseconds(): number {
    return this.microsecondsTotal - this.days * 86_400e6 - this.seconds * 1e6;
  }

  total_seconds(): number {
    return this.microsecondsTotal / 1e6;
  }

  get milliseconds(): number {
    return this.microsecondsTotal / 1000;
  }

  /** str(timedelta): "1 day, 2:03:04" or "0:00:00.500000". */
  toString(): string {
    const days = this.days;
    const secs = this.seconds;
    const micro = this.microseconds;
    const clock = `${Math.floor(secs / 3600)}:${pad(Math.floor(secs / 60) % 60)}:${pad(secs % 60)}${micro ? `.${pad(micro, 6)}` : ''}`;
    return days ? `${days} day${Math.abs(days) === 1 ? '' : 's'}, ${clock}` : clock;
  }
}

/** timedelta(days=0, seconds=0, microseconds=0, milliseconds=0, minutes=0, hours=0, weeks=0), Python's argument order. */
export function timedelta(positional: unknown[], keywords: Record<string, unknown>): Timedelta {
  const names = ['days', 'seconds', 'microseconds', 'milliseconds', 'minutes', 'hours', 'weeks'];
  const unit: Record<string, number> = { days: 86_400e6, seconds: 1e6, microseconds: 1, milliseconds: 1e3, minutes: 60e6, hours: 3600e6, weeks: 7 * 86_400e6 };
  let total = 0;
  positional.forEach((v, i) => (total += Number(v) * unit[names[i]]));
  for (const [k, v] of Object.entries(keywords)) {
    if (!(k in unit)) throw new TypeError(`timedelta() got an unexpected keyword argument '${k}'`);
    total += Number(v) * unit[k];
  }
  return new Timedelta(total);
}

function pad(n: number, width = 2): string {
  return String(Math.abs(n)).padStart(width, '0');
}

/** datetime.isoformat() of an aware UTC datetime: 2024-01-01T00:00:00+00:00 (microseconds only when set). */
export function isoformat(d: Date, sep = 'T'): string {
  const ms = d.getUTCMilliseconds();
  return `${strftime(d, `%Y-%m-%d${sep}%H:%M:%S`)}${ms ? `.${pad(ms * 1000, 6)}` : ''}+00:00`;
}

/** Python's strftime for a UTC date (the codes of the C standard Python documents). */
export function strftime(d: Date, format: string): string {
  const dayOfYear = Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400e3) + 1;
  const hour12 = d.getUTCHours() % 12 || 12;
  const codes: Record<string, () => string> = {
    a: () => DAYS[d.getUTCDay()].slice(0, 3),
    A: () => DAYS[d.getUTCDay()],
    b: () => MONTHS[d.getUTCMonth()].slice(0, 3),
    B: () => MONTHS[d.getUTCMonth()],
    c: () => strftime(d, '%a %b %e %H:%M:%S %Y'),
    d: () => pad(d.getUTCDate()),
    e: () => String(d.getUTCDate()).padStart(2, ' '),
    f: () => pad(d.getUTCMilliseconds() * 1000, 6),
    H: () => pad(d.getUTCHours()),
    I: () => pad(hour12),
    j: () => pad(dayOfYear, 3),
    m: () => pad(d.getUTCMonth() + 1),
    M: () => pad(d.getUTCMinutes()),
    p: () => (d.getUTCHours() < 12 ? 'AM' : 'PM'),
    S: () => pad(d.getUTCSeconds()),
    s: () => String(Math.floor(d.getTime() / 1000)),
    u: () => String(d.getUTCDay() || 7),
    w: () => String(d.getUTCDay()),
    x: () => strftime(d, '%m/%d/%y'),
    X: () => strftime(d, '%H:%M:%S'),
    y: () => pad(d.getUTCFullYear() % 100),
    Y: () => String(d.getUTCFullYear()).padStart(4, '0'),
    z: () => '+0000',
    Z: () => 'UTC',
    '%': () => '%',
  };
  return format.replace(/%(.)/g, (whole, code: string) => (codes[code] ? codes[code]() : whole));
}

/** Python's datetime.strptime (UTC result): the whole text must match the format. */
export function strptime(text: string, format: string): Date {
  const fields: string[] = [];
  const names = (list: string[], len?: number) => list.map((m) => (len ? m.slice(0, len) : m)).join('|');
  const parts: Record<string, string> = {
    Y: '(\\d{4})', m: '(\\d{1,2})', d: '(\\d{1,2})', H: '(\\d{1,2})', I: '(\\d{1,2})', M: '(\\d{1,2})', S: '(\\d{1,2})',
    f: '(\\d{1,6})', y: '(\\d{2})', j: '(\\d{1,3})', p: '(AM|PM|am|pm)', z: '(Z|[+-]\\d{2}:?\\d{2})', Z: '(UTC|GMT|Z)',
    b: `(${names(MONTHS, 3)})`, B: `(${names(MONTHS)})`, a: `(${names(DAYS, 3)})`, A: `(${names(DAYS)})`,
  };
  let source = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    if (c === '%' && i + 1 < format.length) {
      const code = format[++i];
      if (code === '%') source += '%';
      else if (parts[code]) {
        fields.push(code);
        source += parts[code];
      } else throw new PyValueError(`'${code}' is a bad directive in format '${format}'`);
    } else source += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  const m = new RegExp(`^${source}$`, 'i').exec(text);
  if (!m) throw new PyValueError(`time data '${text}' does not match format '${format}'`);
  let year = 1900, month = 1, day = 1, hour = 0, minute = 0, second = 0, micro = 0, offsetMin = 0;
  let pm: boolean | null = null;
  let yday: number | null = null;
  fields.forEach((code, i) => {
    const v = m[i + 1];
    const monthOf = (len?: number) => MONTHS.findIndex((name) => (len ? name.slice(0, len) : name).toLowerCase() === v.toLowerCase()) + 1;
    switch (code) {
      case 'Y': year = Number(v); break;
      case 'y': year = Number(v) + (Number(v) < 69 ? 2000 : 1900); break;
      case 'm': month = Number(v); break;
      case 'd': day = Number(v); break;
      case 'H': case 'I': hour = Number(v); break;
      case 'M': minute = Number(v); break;
      case 'S': second = Number(v); break;
      case 'f': micro = Number(v.padEnd(6, '0')); break;
      case 'j': yday = Number(v); break;
      case 'p': pm = v.toUpperCase() === 'PM'; break;
      case 'b': month = monthOf(3); break;
      case 'B': month = monthOf(); break;
      case 'z': {
        if (v !== 'Z') {
          const digits = v.replace(':', '');
          offsetMin = (digits[0] === '-' ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
        }
        break;
      }
    }
  });
  if (pm !== null) hour = (hour % 12) + (pm ? 12 : 0);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 61) {
    throw new PyValueError(`time data '${text}' does not match format '${format}'`);
  }
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second, Math.floor(micro / 1000)) - offsetMin * 60_000);
  if (yday !== null) date.setUTCDate(date.getUTCDate() + yday - 1);
  if (date.getUTCDate() !== day && yday === null && offsetMin === 0) throw new PyValueError('day is out of range for month');
  return date;
}

/** Python's repr() of a JSON-ish value, as Jinja prints lists and dicts. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return Number.isNaN(value) ? 'nan' : value === Infinity ? 'inf' : value === -Infinity ? '-inf' : String(value);
  if (typeof value === 'string') return reprString(value);
  if (value instanceof Date) {
    return `DateTime(${[value.getUTCFullYear(), value.getUTCMonth() + 1, value.getUTCDate(), value.getUTCHours(), value.getUTCMinutes(), value.getUTCSeconds()].join(', ')}, tzinfo=Timezone('UTC'))`;
  }
  if (value instanceof Timedelta) {
    const parts = [['days', value.days], ['seconds', value.seconds], ['microseconds', value.microseconds]].filter(([, n]) => n !== 0);
    return `datetime.timedelta(${parts.map(([k, n]) => `${k}=${n}`).join(', ')})`;
  }
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (isPlainObject(value)) return `{${Object.entries(value).map(([k, v]) => `${reprString(k)}: ${pyRepr(v)}`).join(', ')}}`;
  return String(value);
}

function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\' || ch === quote) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return quote + out + quote;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  return Object.getPrototypeOf(value) === Object.prototype;
}

/** str(value) as Jinja prints it: None, True/False, repr of containers, dates with a space (pendulum 3). */
export function pyStr(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Date) return isoformat(value, ' ');
  if (value === null || value === undefined || typeof value === 'boolean' || typeof value === 'number') return pyRepr(value);
  if (Array.isArray(value) || isPlainObject(value)) return pyRepr(value);
  return String(value);
}

/**
 * Jinja's tojson filter: json.dumps with sorted keys and Python's separators,
 * non-ASCII and the HTML-special characters <>&' escaped as \uXXXX.
 */
export function pyJsonDumps(value: unknown, indent?: number | null): string {
  const step = indent ? ' '.repeat(indent) : '';
  const write = (v: unknown, depth: number): string => {
    if (v instanceof Date) v = isoformat(v);
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'string') return escapeJsonString(v);
    if (typeof v === 'number') return Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
    if (typeof v === 'boolean') return String(v);
    const inner = step ? `\n${step.repeat(depth + 1)}` : '';
    const close = step ? `\n${step.repeat(depth)}` : '';
    const sep = step ? ',' : ', ';
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      return `[${inner}${v.map((x) => write(x, depth + 1)).join(sep + inner)}${close}]`;
    }
    if (typeof v === 'object') {
      const keys = Object.keys(v).sort();
      if (keys.length === 0) return '{}';
      return `{${inner}${keys.map((k) => `${escapeJsonString(k)}: ${write((v as Record<string, unknown>)[k], depth + 1)}`).join(sep + inner)}${close}}`;
    }
    throw new TypeError(`Object of type ${typeof v} is not JSON serializable`);
  };
  return write(value, 0);
}

function escapeJsonString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff<>&']/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Python's printf-style `format % args` for the common conversions. */
export function pyPercentFormat(format: string, args: unknown): string {
  const list = Array.isArray(args) ? [...args] : [args];
  const named = isPlainObject(args) ? args : null;
  return format.replace(/%(\(([^)]+)\))?([-+ 0#]*)(\d+)?(?:\.(\d+))?([sdirfeEgGxXo%])/g, (_w, _n, name: string | undefined, flags: string, width: string | undefined, precision: string | undefined, conv: string) => {
    if (conv === '%') return '%';
    const v = name !== undefined && named ? named[name] : list.shift();
    let out: string;
    switch (conv) {
      case 's': out = pyStr(v); break;
      case 'r': out = pyRepr(v); break;
      case 'd': case 'i': out = String(Math.trunc(Number(v))); break;
      case 'f': out = Number(v).toFixed(precision === undefined ? 6 : Number(precision)); break;
      case 'e': case 'E': out = Number(v).toExponential(precision === undefined ? 6 : Number(precision)); if (conv === 'E') out = out.toUpperCase(); break;
      case 'x': out = Math.trunc(Number(v)).toString(16); break;
      case 'X': out = Math.trunc(Number(v)).toString(16).toUpperCase(); break;
      case 'o': out = Math.trunc(Number(v)).toString(8); break;
      default: out = String(Number(v));
    }
    if (width && out.length < Number(width)) {
      out = flags.includes('-') ? out.padEnd(Number(width)) : out.padStart(Number(width), flags.includes('0') && conv !== 's' ? '0' : ' ');
    }
    return out;
  });
}
