/**
 * Dynamic task mapping (Airflow's partial().expand()): one task definition,
 * one task instance per element of a list known at parse time or pushed by an
 * upstream task at run time. The scheduler counts the elements and creates
 * map_index 0…n-1; each task process picks its own element here.
 *
 *   BashOperator.partial({ task_id: 'echo' }).expand({ bash_command: ['echo 1', 'echo 2'] })
 *   add_one.expand([1, 2, 3])                  // TaskFlow: maps the (next) positional argument
 *   add.partial({ y: 10 }).expand({ x: [1, 2] })  // TaskFlow with one object argument: {y: 10, x: 1} …
 *   S3CopyObjectOperator.partial({...}).expand_kwargs(listOfKwargs)
 *
 * Several keys in expand() map over their cartesian product, the first key
 * varying slowest (Airflow's order).
 */
import type { BaseOperator } from './baseoperator.ts';
import { XComArg } from './xcomarg.ts';

/** A list, a dict (mapped over its [key, value] pairs), or an XComArg that will be one. */
export type ExpandSource = readonly unknown[] | Record<string, unknown> | XComArg;

export type ExpandInput =
  | { kind: 'dict'; mapped: Record<string, ExpandSource> }
  | { kind: 'list'; source: readonly Record<string, unknown>[] | XComArg };

/** How the scheduler learns a mapped task's length (serialized with the task). */
export interface SerializedExpandPart {
  key: string | null;
  /** known at parse time */
  length: number | null;
  /** pushed at run time */
  xcom: { task_id: string; key: string } | null;
}

export interface SerializedExpandInput {
  kind: 'dict' | 'list';
  parts: SerializedExpandPart[];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

/** Why `source` cannot be mapped over, or null. */
export function expandSourceProblem(source: unknown): string | null {
  if (source instanceof XComArg || Array.isArray(source) || isPlainObject(source)) return null;
  return `expand() needs a list, a dict or an XComArg to map over, got ${JSON.stringify(source) ?? String(source)}`;
}

export function serializeExpandInput(input: ExpandInput): SerializedExpandInput {
  const part = (key: string | null, source: unknown): SerializedExpandPart => {
    if (source instanceof XComArg) return { key, length: null, xcom: { task_id: source.operator.task_id, key: source.key } };
    return { key, length: Array.isArray(source) ? source.length : Object.keys(source as object).length, xcom: null };
  };
  if (input.kind === 'list') return { kind: 'list', parts: [part(null, input.source)] };
  return { kind: 'dict', parts: Object.entries(input.mapped).map(([key, source]) => part(key, source)) };
}

/** The elements of a resolved source: a list as is, a dict as [key, value] pairs (Airflow's items()). */
export function elementsOf(value: unknown, what: string): unknown[] {
  if (Array.isArray(value)) return value;
  if (isPlainObject(value)) return Object.entries(value);
  throw new TypeError(`${what}: cannot map over ${JSON.stringify(value) ?? String(value)}: expand() needs a list or a dict`);
}

/** The keyword arguments of the task instance `mapIndex` (resolving XComArgs through the task runtime). */
export async function mappedKwargs(task: BaseOperator, input: ExpandInput, mapIndex: number): Promise<Record<string, unknown>> {
  const resolve = async (source: unknown) => (source instanceof XComArg ? source.resolve() : source);
  if (input.kind === 'list') {
    const list = elementsOf(await resolve(input.source), `task '${task.task_id}'`);
    const kwargs = list[mapIndex];
    if (!isPlainObject(kwargs)) throw new TypeError(`task '${task.task_id}': expand_kwargs() needs a list of objects, element ${mapIndex} is ${JSON.stringify(kwargs)}`);
    return kwargs;
  }
  const keys = Object.keys(input.mapped);
  const lists = await Promise.all(keys.map(async (k) => elementsOf(await resolve(input.mapped[k]), `task '${task.task_id}', argument '${k}'`)));
  const kwargs: Record<string, unknown> = {};
  let rest = mapIndex;
  for (let i = keys.length - 1; i >= 0; i--) {
    const n = lists[i].length;
    kwargs[keys[i]] = lists[i][rest % n];
    rest = Math.floor(rest / n);
  }
  return kwargs;
}

type OperatorClass<O, T extends BaseOperator> = new (options: O) => T;

/** What `SomeOperator.partial({...})` returns: the fixed arguments, waiting for expand(). */
export class OperatorPartial<O extends { task_id: string }, T extends BaseOperator> {
  readonly #cls: OperatorClass<O, T>;
  readonly #options: Partial<O> & { task_id: string };

  constructor(cls: OperatorClass<O, T>, options: Partial<O> & { task_id: string }) {
    this.#cls = cls;
    this.#options = options;
  }

  /** One task instance per element (per combination, with several keys). */
  expand(mapped: { [K in keyof O]?: ExpandSource } & Record<string, ExpandSource>): T {
    return this.#build({ kind: 'dict', mapped }, Object.fromEntries(Object.entries(mapped).map(([k, v]) => [k, placeholder(v)])));
  }

  /** One task instance per element of a list of argument objects. */
  expand_kwargs(source: readonly Record<string, unknown>[] | XComArg): T {
    const first = Array.isArray(source) && isPlainObject(source[0]) ? source[0] : {};
    return this.#build({ kind: 'list', source }, first);
  }

  #build(input: ExpandInput, placeholders: Record<string, unknown>): T {
    // constructed once, with the first element standing in for the mapped
    // arguments (so constructors see well-typed values); each task instance
    // gets its own element before it runs
    const task = new this.#cls({ ...placeholders, ...this.#options } as unknown as O);
    task._setExpandInput(input);
    return task;
  }
}

function placeholder(source: ExpandSource): unknown {
  if (Array.isArray(source)) return source[0];
  if (isPlainObject(source)) return Object.entries(source)[0];
  return undefined;
}

/** The XComArgs a mapped task maps over: their producers are its upstream tasks. */
export function findMappingUpstreams(input: ExpandInput): XComArg[] {
  const sources = input.kind === 'dict' ? Object.values(input.mapped) : [input.source];
  return sources.filter((s): s is XComArg => s instanceof XComArg);
}

/**
 * What a mapped task group's function receives instead of its argument: a
 * placeholder each task instance replaces with its element (Airflow's
 * MappedArgument). `key` is the expand() key, or POSITIONAL_KEY.
 */
export class MappedArgument {
  readonly key: string;

  constructor(key: string) {
    this.key = key;
  }

  toString(): string {
    return `<MappedArgument ${this.key}>`;
  }
}

export const POSITIONAL_KEY = '__arg__';

/** A copy of `value` with every MappedArgument replaced by its element (arrays and plain objects are searched). */
export function substituteMapped(value: unknown, kwargs: Record<string, unknown>): unknown {
  if (value instanceof MappedArgument) return kwargs[value.key];
  if (Array.isArray(value)) return value.map((v) => substituteMapped(v, kwargs));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteMapped(v, kwargs)]));
  return value;
}

/** Whether `value` holds a MappedArgument (so it needs substituting). */
export function hasMapped(value: unknown): boolean {
  if (value instanceof MappedArgument) return true;
  if (Array.isArray(value)) return value.some(hasMapped);
  if (isPlainObject(value)) return Object.values(value).some(hasMapped);
  return false;
}
