/**
 * What templates read from the api-server (Variables, Connections, XComs),
 * fetched before rendering because nunjucks renders synchronously. The names
 * a template spells out literally are prefetched; a lookup of anything not
 * fetched yet (a name computed in the template, another DAG's XComs) is
 * recorded as wanted and stops the render, which run() repeats once it is
 * fetched.
 */
import { Connection } from '@updraft/sdk';
import type { ConnectionInfo } from '@updraft/sdk/runtime';
import type { XComEntry } from './execution-client.ts';
import { splitKeywords, TemplateError } from './template-args.ts';
import type { TaskLookups } from './lookups.ts';
import { sourceKey, type XComSource } from './xcom-select.ts';

/** Thrown by a lookup of data not fetched yet; the render is repeated after fetching. */
export class DataNotFetched extends Error {}

export interface LiteralTemplateData {
  variables?: Record<string, string | null>;
  connections?: Record<string, ConnectionInfo | null>;
  xcoms?: { source: XComSource; entries: XComEntry[] }[];
}

export class TemplateData {
  /** null: fetched, does not exist */
  readonly variables = new Map<string, string | null>();
  readonly connections = new Map<string, ConnectionInfo | null>();
  readonly xcoms = new Map<string, XComEntry[]>();
  private readonly wanted = { variables: new Set<string>(), connections: new Set<string>(), xcoms: new Map<string, XComSource>() };

  /** Data given up front (tests, or values already known). */
  static of(literal: LiteralTemplateData): TemplateData {
    const data = new TemplateData();
    for (const [k, v] of Object.entries(literal.variables ?? {})) data.variables.set(k, v);
    for (const [k, v] of Object.entries(literal.connections ?? {})) data.connections.set(k, v);
    for (const { source, entries } of literal.xcoms ?? []) data.xcoms.set(sourceKey(source), entries);
    return data;
  }

  variable(key: string): string | null {
    if (!this.variables.has(key)) {
      this.wanted.variables.add(key);
      throw new DataNotFetched(`Variable ${key} is not fetched yet`);
    }
    return this.variables.get(key) ?? null;
  }

  connection(connId: string): ConnectionInfo | null {
    if (!this.connections.has(connId)) {
      this.wanted.connections.add(connId);
      throw new DataNotFetched(`Connection ${connId} is not fetched yet`);
    }
    return this.connections.get(connId) ?? null;
  }

  xcomEntries(source: XComSource): XComEntry[] {
    const key = sourceKey(source);
    const entries = this.xcoms.get(key);
    if (!entries) {
      this.wanted.xcoms.set(key, source);
      throw new DataNotFetched(`XComs of ${source.dag_id} are not fetched yet`);
    }
    return entries;
  }

  /** Asks for data before the first render (names found in the template text). */
  want(hints: { variables?: string[]; connections?: string[]; xcoms?: XComSource[] }): void {
    for (const k of hints.variables ?? []) if (!this.variables.has(k)) this.wanted.variables.add(k);
    for (const k of hints.connections ?? []) if (!this.connections.has(k)) this.wanted.connections.add(k);
    for (const s of hints.xcoms ?? []) if (!this.xcoms.has(sourceKey(s))) this.wanted.xcoms.set(sourceKey(s), s);
  }

  get wantsMore(): boolean {
    return this.wanted.variables.size + this.wanted.connections.size + this.wanted.xcoms.size > 0;
  }

  /** Fetches everything wanted, all at once. */
  async fetchWanted(lookups: TaskLookups): Promise<void> {
    const { variables, connections, xcoms } = this.wanted;
    await Promise.all([
      ...[...variables].map(async (k) => this.variables.set(k, await lookups.variable(k))),
      ...[...connections].map(async (k) => this.connections.set(k, await lookups.connection(k))),
      ...[...xcoms].map(async ([key, source]) => this.xcoms.set(key, await lookups.xcoms(source))),
    ]);
    variables.clear();
    connections.clear();
    xcoms.clear();
  }
}

/** Names a template spells out: var.value.X, var.json.X, var.value.get('X'), conn.X, conn.get('X'). */
export function referencedNames(texts: string[]): { variables: string[]; connections: string[] } {
  const variables = new Set<string>();
  const connections = new Set<string>();
  for (const t of texts) {
    for (const m of t.matchAll(/\bvar\.(?:value|json)\.([A-Za-z_]\w*)/g)) if (m[1] !== 'get') variables.add(m[1]);
    for (const m of t.matchAll(/\bvar\.(?:value|json)(?:\.get\(|\[)\s*['"]([^'"]+)['"]/g)) variables.add(m[1]);
    for (const m of t.matchAll(/\bconn\.([A-Za-z_]\w*)/g)) if (m[1] !== 'get') connections.add(m[1]);
    for (const m of t.matchAll(/\bconn(?:\.get\(|\[)\s*['"]([^'"]+)['"]/g)) connections.add(m[1]);
  }
  return { variables: [...variables], connections: [...connections] };
}

const NO_DEFAULT = Symbol('no default');

// Names JavaScript itself asks an object for (printing, JSON, awaiting): never Variable or Connection ids.
const OBJECT_PROTOCOL = new Set(['then', 'toJSON', 'toString', 'valueOf', 'constructor', 'inspect']);

/** An accessor: `get` is the method, any other name a lookup. */
function accessorProxy<T extends object>(target: T, get: (...args: unknown[]) => unknown, read: (name: string) => unknown): T {
  return new Proxy(target, {
    get: (t, prop) => {
      if (prop === 'get') return get;
      if (typeof prop !== 'string' || OBJECT_PROTOCOL.has(prop)) return Reflect.get(t, prop);
      return read(prop);
    },
  });
}

/** Airflow's VariableAccessor: var.value.KEY, var.value.get('KEY', default_var); var.json parses. */
class VariableAccessor {
  constructor(data: TemplateData, json: boolean) {
    const read = (key: string, fallback: unknown = NO_DEFAULT): unknown => {
      const value = data.variable(key);
      if (value === null) {
        if (fallback !== NO_DEFAULT) return fallback;
        throw new TemplateError(`Variable ${key} does not exist`);
      }
      if (!json) return value;
      try {
        return JSON.parse(value);
      } catch (err) {
        throw new TemplateError(`Variable ${key} is not valid JSON: ${(err as Error).message}`, { cause: err });
      }
    };
    const get = (...args: unknown[]) => {
      const { positional, keywords } = splitKeywords(args);
      const fallback = 'default_var' in keywords ? keywords.default_var : positional.length > 1 ? positional[1] : NO_DEFAULT;
      return read(String(positional[0] ?? keywords.item), fallback);
    };
    return accessorProxy(this, get, (name) => read(name));
  }
}

/** Airflow's ConnectionAccessor: conn.ID.host, conn.get('ID'). */
class ConnectionAccessor {
  constructor(data: TemplateData) {
    const read = (connId: string, fallback: unknown = NO_DEFAULT): unknown => {
      const info = data.connection(connId);
      if (info === null) {
        if (fallback !== NO_DEFAULT) return fallback;
        throw new TemplateError(`The conn_id \`${connId}\` isn't defined`);
      }
      return new Connection(info);
    };
    const get = (...args: unknown[]) => {
      const { positional, keywords } = splitKeywords(args);
      const fallback = 'default_conn' in keywords ? keywords.default_conn : positional.length > 1 ? positional[1] : NO_DEFAULT;
      return read(String(positional[0] ?? keywords.key), fallback);
    };
    return accessorProxy(this, get, (name) => read(name));
  }
}

export function variableAccessors(data: TemplateData) {
  return { value: new VariableAccessor(data, false), json: new VariableAccessor(data, true) };
}

export function connectionAccessor(data: TemplateData) {
  return new ConnectionAccessor(data);
}
