/**
 * Makes nunjucks behave like Jinja where Airflow templates notice the
 * difference. nunjucks is patched once per process (its runtime and compiler
 * are module singletons; only the task runner renders templates):
 *
 * - output: values print as Python's str() (None, True, ['a'], {'k': 1},
 *   dates as pendulum prints them); only an undefined value fails, and the
 *   error names what was undefined ("'foo' is undefined"), as Jinja's does;
 * - attribute lookups find Python's methods on str, list, dict and datetime
 *   (dag_run.conf.get('k'), ds.replace('-', ''), logical_date.strftime(…)),
 *   and negative indexes count from the end;
 * - + - * % follow Python for dates, timedeltas, lists and string formatting
 *   (logical_date - macros.timedelta(days=1), '%s-%s' % (a, b)).
 */
import { createRequire } from 'node:module';
import type Nunjucks from 'nunjucks';
import { splitKeywords, TemplateError } from './template-args.ts';
import { isoformat, isPlainObject, pyPercentFormat, pyRepr, pyStr, strftime, Timedelta, timedelta } from './py-values.ts';

interface NunjucksRuntime {
  ensureDefined(value: unknown, lineno: number, colno: number): unknown;
  memberLookup(obj: unknown, key: unknown, ...rest: unknown[]): unknown;
  contextOrFrameLookup(context: unknown, frame: unknown, name: string): unknown;
  callWrap(obj: unknown, name: string, context: unknown, args: unknown[]): unknown;
  SafeString: new (s: string) => object;
  [helper: string]: unknown;
}


// Why the last lookup came back undefined; reported if that value is printed.
// Rendering is synchronous, so the most recent miss is the one being printed.
let lastMiss: string | null = null;
// Values of {{ … }} outputs, collected while rendering natively.
let captured: unknown[] | null = null;

/** Collects the raw values of the outputs printed while `fn` renders (for native rendering). */
export function captureOutputs<T>(fn: () => T): { result: T; outputs: unknown[] } {
  const previous = captured;
  const outputs: unknown[] = [];
  captured = outputs;
  try {
    return { result: fn(), outputs };
  } finally {
    captured = previous;
  }
}

function typeName(obj: unknown): string {
  if (typeof obj === 'string') return 'str object';
  if (Array.isArray(obj)) return 'list object';
  if (isPlainObject(obj)) return 'dict object';
  if (obj instanceof Date) return 'DateTime object';
  return `${(obj as object)?.constructor?.name ?? typeof obj} object`;
}

// Loaded on first use: most tasks render no template, and nunjucks costs a
// task process 12-17 ms to load (measured), CPU that competes with the
// scheduler during a handoff.
let loaded: typeof Nunjucks | null = null;

/** nunjucks, made Jinja-like (patched once per process). */
export function loadNunjucks(): typeof Nunjucks {
  if (loaded) return loaded;
  const nunjucks = createRequire(import.meta.url)('nunjucks') as typeof Nunjucks;
  patch(nunjucks);
  loaded = nunjucks;
  return nunjucks;
}

function patch(nunjucks: typeof Nunjucks): void {
  const runtime = (nunjucks as unknown as { runtime: NunjucksRuntime }).runtime;
  const originalMemberLookup = runtime.memberLookup;
  const originalContextLookup = runtime.contextOrFrameLookup;

  // Python's spellings of the constants (nunjucks knows only true, false, none)
  const CONSTANTS: Record<string, unknown> = { True: true, False: false, None: null };

  runtime.contextOrFrameLookup = (context, frame, name) => {
    const value = originalContextLookup(context, frame, name);
    if (value !== undefined) return value;
    if (Object.hasOwn(CONSTANTS, name)) return CONSTANTS[name];
    lastMiss = `'${name}' is undefined`;
    return undefined;
  };

  runtime.memberLookup = (obj, key, ...rest) => {
    if (rest.length > 0) return originalMemberLookup(obj, key, ...rest); // slices
    if (obj === undefined) return undefined; // lastMiss already names the undefined parent
    if (obj === null) {
      lastMiss = `'None' has no attribute '${String(key)}'`;
      return undefined;
    }
    const method = pythonMember(obj, key);
    if (method !== undefined) return method;
    if ((typeof obj === 'string' || Array.isArray(obj)) && typeof key === 'number' && key < 0) key = obj.length + key;
    const raw = (obj as Record<string, unknown>)[key as string];
    // nunjucks wraps methods in a closure, which would hide a function's own
    // attributes (macros.datetime.strptime): keep them on the bound copy
    if (typeof raw === 'function' && Object.keys(raw).length > 0) return Object.assign(raw.bind(obj), raw);
    const value = originalMemberLookup(obj, key);
    if (value === undefined) {
      lastMiss = typeof key === 'number' ? `${typeName(obj)} has no element ${key}` : `'${typeName(obj)}' has no attribute '${String(key)}'`;
    }
    return value;
  };

  runtime.callWrap = (obj, name, context, args) => {
    if (typeof obj !== 'function') {
      if (obj === undefined) throw new TemplateError(lastMiss ?? `'${name}' is undefined`);
      throw new TemplateError(`'${typeName(obj)}' is not callable`);
    }
    return obj.apply(context, args);
  };

  const NunjucksTemplateError = (nunjucks as unknown as { lib: { TemplateError: new (message: string, lineno: number, colno: number) => Error } }).lib.TemplateError;

  runtime.ensureDefined = (value, lineno, colno) => {
    if (value === undefined) {
      const why = lastMiss ?? 'an undefined value was printed';
      lastMiss = null;
      // nunjucks' own error class carries the position into the message
      throw new NunjucksTemplateError(why, lineno + 1, colno + 1);
    }
    lastMiss = null;
    captured?.push(value);
    return value instanceof runtime.SafeString ? value : pyStr(value);
  };

  type CompilerThis = { _emit(s: string): void; compile(node: unknown, frame: unknown): void; _compileAggregate(node: unknown, frame: unknown, open: string, close: string): void };
  const Compiler = (nunjucks as unknown as { compiler: { Compiler: { prototype: Record<string, unknown> } } }).compiler.Compiler;

  // (a, b) is a tuple in Jinja, but nunjucks emits JavaScript's comma operator: make it a list
  Compiler.prototype.compileGroup = function (this: CompilerThis, node: { children: unknown[] }, frame: unknown) {
    if (node.children.length > 1) this._compileAggregate(node, frame, '[', ']');
    else this._compileAggregate(node, frame, '(', ')');
  };

  // Binary operators compile to runtime helpers, so Python's meaning applies.
  for (const [method, helper] of [['compileAdd', 'pyAdd'], ['compileSub', 'pySub'], ['compileMul', 'pyMul'], ['compileMod', 'pyMod']] as const) {
    Compiler.prototype[method] = function (this: CompilerThis, node: { left: unknown; right: unknown }, frame: unknown) {
      this._emit(`runtime.${helper}(`);
      this.compile(node.left, frame);
      this._emit(', ');
      this.compile(node.right, frame);
      this._emit(')');
    };
  }

  const isDelta = (v: unknown): v is Timedelta => v instanceof Timedelta;

  runtime.pyAdd = (a: unknown, b: unknown) => {
    if (a instanceof Date && isDelta(b)) return new Date(a.getTime() + b.milliseconds);
    if (isDelta(a) && b instanceof Date) return new Date(b.getTime() + a.milliseconds);
    if (isDelta(a) && isDelta(b)) return new Timedelta(a.microsecondsTotal + b.microsecondsTotal);
    if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
    return (a as number) + (b as number);
  };

  runtime.pySub = (a: unknown, b: unknown) => {
    if (a instanceof Date && isDelta(b)) return new Date(a.getTime() - b.milliseconds);
    if (a instanceof Date && b instanceof Date) return new Timedelta((a.getTime() - b.getTime()) * 1000);
    if (isDelta(a) && isDelta(b)) return new Timedelta(a.microsecondsTotal - b.microsecondsTotal);
    return (a as number) - (b as number);
  };

  runtime.pyMul = (a: unknown, b: unknown) => {
    if (typeof a === 'string' && typeof b === 'number') return a.repeat(Math.max(0, b));
    if (Array.isArray(a) && typeof b === 'number') return Array.from({ length: Math.max(0, b) }, () => a).flat();
    if (isDelta(a) && typeof b === 'number') return new Timedelta(a.microsecondsTotal * b);
    return (a as number) * (b as number);
  };

  runtime.pyMod = (a: unknown, b: unknown) => {
    if (typeof a === 'string') return pyPercentFormat(a, b);
    const n = a as number;
    const d = b as number;
    return ((n % d) + d) % d; // Python's modulo takes the divisor's sign
  };
}

/** Python's `'{} {name}'.format(...)` for plain replacement fields. */
function pyFormat(template: string, args: unknown[]): string {
  const { positional, keywords } = splitKeywords(args);
  let next = 0;
  return template.replace(/\{\{|\}\}|\{([^{}:!]*)(?:![rs])?(?::[^{}]*)?\}/g, (whole, field: string | undefined) => {
    if (whole === '{{') return '{';
    if (whole === '}}') return '}';
    const name = field ?? '';
    const value = name === '' ? positional[next++] : /^\d+$/.test(name) ? positional[Number(name)] : keywords[name];
    return pyStr(value);
  });
}

function pySplit(s: string, sep?: unknown, maxsplit = -1): string[] {
  if (sep === undefined || sep === null) {
    const words = s.trim().split(/\s+/).filter(Boolean);
    return maxsplit < 0 || words.length <= maxsplit ? words : [...words.slice(0, maxsplit), s.trim().split(/\s+/).slice(maxsplit).join(' ')];
  }
  const parts = s.split(String(sep));
  return maxsplit < 0 || parts.length <= maxsplit + 1 ? parts : [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(String(sep))];
}

function strip(s: string, chars: unknown, where: 'both' | 'left' | 'right'): string {
  const set = chars === undefined || chars === null ? null : String(chars);
  const drop = (c: string) => (set === null ? /\s/.test(c) : set.includes(c));
  let start = 0;
  let end = s.length;
  if (where !== 'right') while (start < end && drop(s[start])) start++;
  if (where !== 'left') while (end > start && drop(s[end - 1])) end--;
  return s.slice(start, end);
}

const STR_METHODS: Record<string, (s: string, ...args: unknown[]) => unknown> = {
  upper: (s) => s.toUpperCase(),
  lower: (s) => s.toLowerCase(),
  strip: (s, chars) => strip(s, chars, 'both'),
  lstrip: (s, chars) => strip(s, chars, 'left'),
  rstrip: (s, chars) => strip(s, chars, 'right'),
  replace: (s, old, replacement, count) => {
    if (count === undefined || Number(count) < 0) return s.split(String(old)).join(String(replacement));
    const parts = s.split(String(old));
    return parts.slice(0, Number(count) + 1).join(String(replacement)) + (parts.length > Number(count) + 1 ? String(old) + parts.slice(Number(count) + 1).join(String(old)) : '');
  },
  split: (s, sep, maxsplit) => pySplit(s, sep, maxsplit === undefined ? -1 : Number(maxsplit)),
  splitlines: (s) => s.split(/\r?\n/).filter((line, i, all) => i < all.length - 1 || line !== ''),
  startswith: (s, prefix) => (Array.isArray(prefix) ? prefix : [prefix]).some((p) => s.startsWith(String(p))),
  endswith: (s, suffix) => (Array.isArray(suffix) ? suffix : [suffix]).some((p) => s.endsWith(String(p))),
  join: (s, items) => (items as unknown[]).map((v) => pyStr(v)).join(s),
  format: (s, ...args) => pyFormat(s, args),
  title: (s) => s.replace(/\w\S*/g, (w) => w[0].toUpperCase() + w.slice(1).toLowerCase()),
  capitalize: (s) => (s ? s[0].toUpperCase() + s.slice(1).toLowerCase() : s),
  zfill: (s, width) => (s.startsWith('-') ? `-${s.slice(1).padStart(Number(width) - 1, '0')}` : s.padStart(Number(width), '0')),
  count: (s, sub) => s.split(String(sub)).length - 1,
  find: (s, sub) => s.indexOf(String(sub)),
  isdigit: (s) => /^\d+$/.test(s),
};

const LIST_METHODS: Record<string, (list: unknown[], ...args: unknown[]) => unknown> = {
  append: (list, item) => void list.push(item),
  extend: (list, items) => void list.push(...(items as unknown[])),
  index: (list, item) => {
    const i = list.indexOf(item);
    if (i < 0) throw new TemplateError(`${pyRepr(item)} is not in list`);
    return i;
  },
  count: (list, item) => list.filter((x) => x === item).length,
  insert: (list, index, item) => void list.splice(Number(index), 0, item),
  copy: (list) => [...list],
};

const DICT_METHODS: Record<string, (dict: Record<string, unknown>, ...args: unknown[]) => unknown> = {
  get: (dict, key, fallback = null) => (Object.hasOwn(dict, String(key)) ? dict[String(key)] : fallback),
  items: (dict) => Object.entries(dict),
  keys: (dict) => Object.keys(dict),
  values: (dict) => Object.values(dict),
  copy: (dict) => ({ ...dict }),
  update: (dict, other, ...rest) => void Object.assign(dict, other, ...rest),
  setdefault: (dict, key, fallback = null) => (Object.hasOwn(dict, String(key)) ? dict[String(key)] : (dict[String(key)] = fallback)),
};

/** What pendulum's DateTime offers templates (UTC). */
function dateMember(d: Date, key: string): unknown {
  const shift = (sign: number) => (...args: unknown[]) => {
    const { positional, keywords } = splitKeywords(args);
    const { years = 0, months = 0, ...rest } = keywords as Record<string, number>;
    const shifted = new Date(d.getTime());
    if (years || months) shifted.setUTCMonth(shifted.getUTCMonth() + sign * (Number(years) * 12 + Number(months)));
    return new Date(shifted.getTime() + sign * timedelta(positional, rest).milliseconds);
  };
  switch (key) {
    case 'year': return d.getUTCFullYear();
    case 'month': return d.getUTCMonth() + 1;
    case 'day': return d.getUTCDate();
    case 'hour': return d.getUTCHours();
    case 'minute': return d.getUTCMinutes();
    case 'second': return d.getUTCSeconds();
    case 'microsecond': return d.getUTCMilliseconds() * 1000;
    case 'int_timestamp': return Math.floor(d.getTime() / 1000);
    case 'timestamp': return () => d.getTime() / 1000;
    case 'strftime': return (format: string) => strftime(d, format);
    case 'isoformat': return (sep?: string) => isoformat(d, typeof sep === 'string' ? sep : 'T');
    case 'to_date_string': return () => strftime(d, '%Y-%m-%d');
    case 'to_datetime_string': return () => strftime(d, '%Y-%m-%d %H:%M:%S');
    case 'to_iso8601_string': return () => isoformat(d);
    case 'weekday': return () => (d.getUTCDay() + 6) % 7;
    case 'isoweekday': return () => d.getUTCDay() || 7;
    case 'add': return shift(1);
    case 'subtract': return shift(-1);
    default: return undefined;
  }
}

function pythonMember(obj: unknown, key: unknown): unknown {
  if (typeof key !== 'string') return undefined;
  if (typeof obj === 'string') {
    const method = STR_METHODS[key];
    return method && ((...args: unknown[]) => method(obj, ...args));
  }
  if (Array.isArray(obj)) {
    const method = LIST_METHODS[key];
    return method && ((...args: unknown[]) => method(obj, ...args));
  }
  if (obj instanceof Date) return dateMember(obj, key);
  if (obj instanceof Timedelta && key === 'total_seconds') return () => obj.total_seconds();
  // a dict's own keys win over method names: conf = {"items": …} keeps working
  if (isPlainObject(obj) && !Object.hasOwn(obj, key)) {
    const method = DICT_METHODS[key];
    return method && ((...args: unknown[]) => method(obj, ...args));
  }
  return undefined;
}
