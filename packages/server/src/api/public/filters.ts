/**
 * WHERE clauses built from Airflow's list filters (`state=…&state=…`,
 * `start_date_gte=…`, `*_pattern`) and batch bodies. Client values only ever
 * become bound parameters; column names come from the tables given here.
 */
import { unprocessable } from '../errors.ts';
import { likePatterns } from './pagination.ts';

const OPS = { gte: '>=', gt: '>', lte: '<=', lt: '<' } as const;

export class Where {
  readonly parts: string[] = [];
  readonly args: unknown[];

  constructor(args: unknown[] = []) {
    this.args = args;
  }

  /** Adds `sql`, in which `?` stands for `value` bound as the next parameter. */
  add(sql: string, value?: unknown): this {
    this.parts.push(value === undefined ? sql : sql.replace('?', `$${this.args.push(value)}`));
    return this;
  }

  /** `column = ANY(values)` when the list is not empty. */
  anyOf(column: string, values: string[], cast = 'text'): this {
    return values.length ? this.add(`${column} = ANY(?::${cast}[])`, values) : this;
  }

  /** `column = ANY(dagIds)` for the DAGs a user may see (api/dag-access.ts): null adds nothing, an empty list matches nothing. */
  visible(column: string, dagIds: string[] | null): this {
    return dagIds === null ? this : this.add(`${column} = ANY(?::text[])`, dagIds);
  }

  /** `column ILIKE ANY(patterns)` for an Airflow `*_pattern` parameter. */
  like(column: string, pattern: unknown): this {
    const patterns = likePatterns(pattern === '~' ? undefined : pattern);
    return patterns ? this.add(`${column} ILIKE ANY(?::text[])`, patterns) : this;
  }

  /** `<prefix>_gte/_gt/_lte/_lt` bounds from `source` on `column`, as dates or numbers. */
  ranges(source: Record<string, unknown>, fields: Record<string, string>, kind: 'date' | 'number'): this {
    for (const [prefix, column] of Object.entries(fields)) {
      for (const [suffix, op] of Object.entries(OPS)) {
        const raw = source[`${prefix}_${suffix}`];
        if (raw === undefined || raw === null || raw === '') continue;
        const value = kind === 'date' ? dateValue(raw, `${prefix}_${suffix}`) : numberValue(raw, `${prefix}_${suffix}`);
        this.add(`${column} ${op} ?${kind === 'date' ? '::timestamptz' : ''}`, value);
      }
    }
    return this;
  }

  sql(): string {
    return this.parts.length ? `WHERE ${this.parts.join(' AND ')}` : '';
  }
}

export function dateValue(raw: unknown, name: string): string {
  const d = new Date(String(raw));
  if (typeof raw !== 'string' || Number.isNaN(d.getTime())) throw unprocessable(`query: ${name} must be an ISO 8601 date-time, not ${JSON.stringify(raw)}`);
  return d.toISOString();
}

function numberValue(raw: unknown, name: string): number {
  const n = Number(raw);
  if (raw === '' || !Number.isFinite(n)) throw unprocessable(`query: ${name} must be a number, not ${JSON.stringify(raw)}`);
  return n;
}

/** A repeated or comma-separated query parameter, or a JSON list in a batch body, as strings. */
export function stringList(value: unknown, name: string): string[] {
  if (value === undefined || value === null || value === '') return [];
  const list = Array.isArray(value) ? value : [value];
  if (list.some((v) => typeof v !== 'string')) throw unprocessable(`${name} must be a list of strings`);
  return list as string[];
}

export function intParam(value: unknown, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw unprocessable(`query: ${name} must be an integer, not ${JSON.stringify(value)}`);
  return n;
}
