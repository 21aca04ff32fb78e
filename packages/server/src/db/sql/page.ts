import type { Queryable } from './queryable.ts';

/** A filter built of bound parameters (`where` refers to `$1…` in `args`), an ORDER BY of known columns, and a page. */
export interface PageQuery {
  where: string;
  args: unknown[];
  orderBy: string;
  limit: number;
  offset: number;
}

/** One page of `SELECT * FROM table` and the total count the filter matches, as list endpoints answer. */
export async function selectPage<T extends object>(db: Queryable, table: 'log' | 'job', q: PageQuery): Promise<{ rows: T[]; total: number }> {
  const total = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} ${q.where}`, q.args);
  const rows = await db.query<T>(`SELECT * FROM ${table} ${q.where} ORDER BY ${q.orderBy} LIMIT $${q.args.length + 1} OFFSET $${q.args.length + 2}`, [...q.args, q.limit, q.offset]);
  return { rows: rows.rows, total: total.rows[0].n };
}
