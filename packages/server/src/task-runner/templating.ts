/**
 * The Jinja environment of a task: nunjucks (made Jinja-like by
 * jinja-compat.ts) with Airflow's filters, a FileSystemLoader over the DAG's
 * folder and template_searchpath, and the rendering of a template field:
 * strings anywhere inside objects and arrays, files named by template_ext,
 * and native values for render_template_as_native_obj.
 */
import fs from 'node:fs';
import path from 'node:path';
import type nunjucks from 'nunjucks';
import { captureOutputs, loadNunjucks } from './jinja-compat.ts';
import { airflowFilters } from './macros.ts';
import { isPlainObject } from './py-values.ts';
import { literalEval } from './python-literal.ts';

export function makeEnvironment(searchPaths: string[]): nunjucks.Environment {
  // no loader at all rather than nunjucks' default one over ./views
  const loaders = searchPaths.length ? [new (loadNunjucks().FileSystemLoader)(searchPaths, { noCache: true })] : [];
  const env = new (loadNunjucks().Environment)(loaders, { autoescape: false, throwOnUndefined: true });
  for (const [name, filter] of Object.entries(airflowFilters)) env.addFilter(name, filter);
  // Python's range(stop) / range(start, stop[, step])
  env.addGlobal('range', (start: number, stop?: number, step = 1) => {
    const [a, b] = stop === undefined ? [0, start] : [start, stop];
    const out: number[] = [];
    for (let i = a; step > 0 ? i < b : i > b; i += step) out.push(i);
    return out;
  });
  // Jinja tests nunjucks lacks (its typings miss addTest)
  const addTest = (env as unknown as { addTest(name: string, test: (v: unknown) => boolean): void }).addTest.bind(env);
  addTest('none', (v) => v === null);
  addTest('mapping', (v) => isPlainObject(v));
  addTest('sequence', (v) => Array.isArray(v) || typeof v === 'string');
  addTest('boolean', (v) => typeof v === 'boolean');
  addTest('integer', (v) => Number.isInteger(v));
  addTest('float', (v) => typeof v === 'number' && !Number.isInteger(v));
  return env;
}

/** Folders a task's template files are looked up in: the DAG file's folder, then template_searchpath. */
export function searchPaths(dagFile: string, templateSearchpath: string[]): string[] {
  const dir = path.dirname(dagFile);
  return [dir, ...templateSearchpath.map((p) => path.resolve(dir, p))].filter((p) => fs.existsSync(p));
}

export interface RenderOptions {
  /** a string ending with one of these names a template file */
  templateExt: string[];
  /** render_template_as_native_obj */
  native: boolean;
}

/**
 * nunjucks reports "<path> [Line 1, Column 4]\n  Error: <message>"; keep the
 * message, and where it happened only for template files (a string field is
 * shown whole next to the message anyway).
 */
export function templateErrorMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const m = /^\((.*?)\)(?: \[Line (\d+)(?:, Column \d+)?\])?\n\s*([\s\S]*)$/.exec(message);
  if (!m) return message.trim();
  const [, where, line, rest] = m;
  const text = rest.replace(/^\w*Error: /, '').trim();
  if (where === 'unknown path') return text;
  return `${text} (in ${where}${line ? `, line ${line}` : ''})`;
}

function isSingleExpression(source: string): boolean {
  try {
    const root = (loadNunjucks() as unknown as { parser: { parse(src: string): { children: { typename: string; children?: { typename: string }[] }[] } } }).parser.parse(source);
    const [only] = root.children;
    return root.children.length === 1 && only.typename === 'Output' && only.children?.length === 1 && only.children[0].typename !== 'TemplateData';
  } catch {
    return false;
  }
}

/** Jinja's NativeEnvironment: a lone {{ expression }} keeps its value; text becomes the literal it spells, if any. */
function renderNative(render: () => string, source: string | null): unknown {
  const { result, outputs } = captureOutputs(render);
  if (source !== null && outputs.length === 1 && isSingleExpression(source)) {
    const raw = outputs[0];
    return typeof raw === 'string' ? literalEval(raw) : raw;
  }
  return literalEval(result);
}

function renderString(env: nunjucks.Environment, value: string, context: object, options: RenderOptions): unknown {
  const isFile = options.templateExt.some((ext) => value.endsWith(ext)) && !value.includes('\n');
  if (isFile) {
    const file = templateFile(env, value);
    // Updraft renders the string itself when no such file exists (Airflow would fail)
    if (file !== null) {
      const render = () => env.render(value, context);
      return options.native ? renderNative(render, null) : render();
    }
  }
  const render = () => env.renderString(value, context);
  return options.native ? renderNative(render, value) : render();
}

function templateFile(env: nunjucks.Environment, name: string): string | null {
  const loader = (env as unknown as { loaders: { getSource(name: string): { src: string } | null }[] }).loaders[0];
  return loader?.getSource(name)?.src ?? null;
}

/** Renders the strings found anywhere inside `value` (arrays and plain objects are walked). */
export function renderValue(env: nunjucks.Environment, value: unknown, context: object, options: RenderOptions): unknown {
  if (typeof value === 'string') return renderString(env, value, context, options);
  if (Array.isArray(value)) return value.map((v) => renderValue(env, v, context, options));
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderValue(env, v, context, options)]));
  }
  return value;
}

/** Every string inside a value, to look for names to prefetch. */
export function stringsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsIn(v, out);
  else if (isPlainObject(value)) for (const v of Object.values(value)) stringsIn(v, out);
  return out;
}
