/**
 * Renders operators' template_fields with nunjucks plus the bits of Jinja and
 * of Airflow's template context that DAG authors use. Lookups that need the
 * api-server (Variables, XCom) are fetched before rendering, because nunjucks
 * renders synchronously.
 */
import fs from 'node:fs';
import path from 'node:path';
import nunjucks from 'nunjucks';
import type { XComEntry } from './execution-client.ts';

export class TemplateError extends Error {}

/** nunjucks passes Python-style keyword arguments as a trailing object marked __keywords. */
export function splitKeywords(args: unknown[]): { positional: unknown[]; keywords: Record<string, unknown> } {
  const last = args[args.length - 1] as Record<string, unknown> | undefined;
  if (last && typeof last === 'object' && (last as { __keywords?: boolean }).__keywords) {
    const { __keywords: _k, ...keywords } = last;
    return { positional: args.slice(0, -1), keywords };
  }
  return { positional: args, keywords: {} };
}

// Jinja prints None as "None" and fails only on names that are undefined;
// nunjucks' throwOnUndefined also rejects null. Output goes through
// ensureDefined, so this is where the two are told apart.
const runtime = (nunjucks as unknown as { runtime: { ensureDefined: (v: unknown, l: number, c: number) => unknown } }).runtime;
runtime.ensureDefined = (value: unknown, lineno: number, colno: number) => {
  if (value === undefined) {
    throw new TemplateError(`an undefined value was used in the template (line ${lineno + 1}, column ${colno + 1})`);
  }
  return value === null ? 'None' : value;
};

export function makeEnvironment(searchPaths: string[]): nunjucks.Environment {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(searchPaths, { noCache: true }), {
    autoescape: false,
    throwOnUndefined: true,
  });
  env.addFilter('tojson', (v: unknown) => JSON.stringify(v));
  env.addFilter('ds', (d: Date | string) => new Date(d).toISOString().slice(0, 10));
  env.addFilter('ds_nodash', (d: Date | string) => new Date(d).toISOString().slice(0, 10).replaceAll('-', ''));
  env.addFilter('ts', (d: Date | string) => isoTs(new Date(d)));
  env.addGlobal('range', (start: number, stop?: number, step = 1) => {
    const [a, b] = stop === undefined ? [0, start] : [start, stop];
    const out: number[] = [];
    for (let i = a; step > 0 ? i < b : i > b; i += step) out.push(i);
    return out;
  });
  return env;
}

/** Airflow's `ts`: ISO-8601 with +00:00 and no milliseconds. */
export function isoTs(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

export function dsAdd(ds: string, days: number): string {
  const d = new Date(`${ds}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + Number(days));
  return d.toISOString().slice(0, 10);
}

export interface TemplateSources {
  variables: Map<string, string | null>;
  xcoms: XComEntry[];
}

/** Variable names referenced as var.value.X / var.json.X / var.value.get('X') in any template string. */
export function referencedVariables(texts: string[]): string[] {
  const names = new Set<string>();
  for (const t of texts) {
    for (const m of t.matchAll(/var\.(?:value|json)\.([A-Za-z_][\w]*)/g)) if (m[1] !== 'get') names.add(m[1]);
    for (const m of t.matchAll(/var\.(?:value|json)\.get\(\s*['"]([^'"]+)['"]/g)) names.add(m[1]);
  }
  return [...names];
}

export function xcomPullFrom(xcoms: XComEntry[], currentTask: string) {
  return (...args: unknown[]) => {
    const { positional, keywords } = splitKeywords(args);
    const taskIds = (keywords.task_ids ?? positional[0] ?? null) as string | string[] | null;
    const key = (keywords.key ?? positional[1] ?? 'return_value') as string;
    const pick = (taskId: string) => {
      const found = xcoms.find((x) => x.task_id === taskId && x.key === key);
      return found ? found.value : null;
    };
    if (taskIds === null) {
      const found = xcoms.filter((x) => x.key === key && x.task_id !== currentTask);
      return found.length ? found[found.length - 1].value : null;
    }
    return Array.isArray(taskIds) ? taskIds.map(pick) : pick(taskIds);
  };
}

export function variableAccessors(variables: Map<string, string | null>) {
  const getValue = (key: string, fallback?: unknown) => {
    const v = variables.get(key);
    if (v === null || v === undefined) {
      if (fallback !== undefined) return fallback;
      throw new TemplateError(`Variable ${key} does not exist`);
    }
    return v;
  };
  const value = new Proxy({ get: (k: string, d?: unknown) => getValue(k, d ?? null) } as Record<string, unknown>, {
    get: (target, prop: string) => (prop in target ? target[prop] : getValue(prop)),
  });
  const json = new Proxy({ get: (k: string, d?: unknown) => { const v = getValue(k, d ?? null); return typeof v === 'string' ? JSON.parse(v) : v; } } as Record<string, unknown>, {
    get: (target, prop: string) => (prop in target ? target[prop] : JSON.parse(getValue(prop) as string)),
  });
  return { value, json };
}

/** Renders strings found anywhere inside `value` (objects and arrays are walked). */
export function renderValue(env: nunjucks.Environment, value: unknown, context: Record<string, unknown>, templateExt: string[]): unknown {
  if (typeof value === 'string') {
    if (templateExt.some((ext) => value.endsWith(ext)) && !value.includes('\n')) {
      try {
        return env.render(value, context);
      } catch (err) {
        // Airflow renders the string itself when no such template file exists
        if (!/template not found/i.test((err as Error).message)) throw err;
      }
    }
    return env.renderString(value, context);
  }
  if (Array.isArray(value)) return value.map((v) => renderValue(env, v, context, templateExt));
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderValue(env, v, context, templateExt)]));
  }
  return value;
}

export function searchPaths(dagFile: string, templateSearchpath: string[]): string[] {
  const dir = path.dirname(dagFile);
  return [dir, ...templateSearchpath.map((p) => path.resolve(dir, p))].filter((p) => fs.existsSync(p));
}
