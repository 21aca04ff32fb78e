import { unprocessable } from '../errors.ts';

/** limit/offset as Airflow reads them (limit defaults to 50). */
export function paging(query: Record<string, unknown>): { limit: number; offset: number } {
  const limit = query.limit === undefined ? 50 : Number(query.limit);
  const offset = query.offset === undefined ? 0 : Number(query.offset);
  if (!Number.isInteger(limit) || limit < 0) throw unprocessable('query: limit must be a non-negative integer');
  if (!Number.isInteger(offset) || offset < 0) throw unprocessable('query: offset must be a non-negative integer');
  return { limit, offset };
}

export function boolParam(value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  return value === true || value === 'true' || value === '1';
}

/**
 * An ORDER BY list from Airflow's `order_by` parameter (repeated or
 * comma-separated; `-` for descending), each name looked up in `columns` so
 * that nothing the client sends reaches the SQL text.
 */
export function orderBy(value: unknown, columns: Record<string, string>, fallback: string): string {
  const names = (value === undefined ? [fallback] : Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(',')).map((v) => v.trim()).filter(Boolean);
  const parts = names.map((name) => {
    const desc = name.startsWith('-');
    const column = columns[desc ? name.slice(1) : name];
    // the spec answers a bad order_by with 422 (a query parameter outside its allowed values)
    if (!column) throw unprocessable(`query: Ordering with '${name}' is disallowed or the attribute does not exist on the model`);
    return `${column}${desc ? ' DESC' : ''}`;
  });
  return parts.length ? parts.join(', ') : columns[fallback];
}

/**
 * Airflow's `*_pattern` parameters: case-insensitive "contains" matches in
 * which `%` and `_` are SQL LIKE wildcards, `|` between alternatives. They are
 * only ever bound as parameters of ILIKE, so quotes and semicolons are text.
 */
export function likePatterns(value: unknown): string[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const patterns = String(value).split('|').map((p) => p.trim()).filter(Boolean).map((p) => `%${p}%`);
  return patterns.length ? patterns : undefined;
}
