import { badRequest } from '../errors.ts';

/** limit/offset as Airflow reads them (limit defaults to 50). */
export function paging(query: Record<string, unknown>): { limit: number; offset: number } {
  const limit = query.limit === undefined ? 50 : Number(query.limit);
  const offset = query.offset === undefined ? 0 : Number(query.offset);
  if (!Number.isInteger(limit) || limit < 0) throw badRequest('limit must be a non-negative integer');
  if (!Number.isInteger(offset) || offset < 0) throw badRequest('offset must be a non-negative integer');
  return { limit, offset };
}

export function boolParam(value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  return value === true || value === 'true' || value === '1';
}
