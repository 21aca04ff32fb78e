/** HTTP errors with Airflow's body shape: {"detail": …}. */
import type { FastifyInstance } from 'fastify';

export class HttpError extends Error {
  readonly statusCode: number;
  constructor(statusCode: number, detail: string) {
    super(detail);
    this.statusCode = statusCode;
  }
}

export const notFound = (detail: string) => new HttpError(404, detail);
export const badRequest = (detail: string) => new HttpError(400, detail);
export const conflict = (detail: string) => new HttpError(409, detail);
export const unauthorized = (detail: string) => new HttpError(401, detail);
export const forbidden = (detail: string) => new HttpError(403, detail);
/** A body or parameter that does not match the spec's schema: FastAPI's answer is 422. */
export const unprocessable = (detail: string) => new HttpError(422, detail);

/**
 * A 422 answer carries FastAPI's HTTPValidationError shape, a list of
 * {loc, msg, type}, which Airflow clients parse; routes raise it with a plain
 * message and this hook gives it that shape on the way out.
 */
export function registerValidationErrorShape(app: FastifyInstance) {
  app.addHook('preSerialization', async (req, reply, payload) => {
    // the Execution API keeps plain messages: the task runner prints them as they are
    if (reply.statusCode !== 422 || !payload || typeof payload !== 'object' || req.url.startsWith('/execution/')) return payload;
    const detail = (payload as { detail?: unknown }).detail;
    if (typeof detail !== 'string') return payload;
    const loc = /^(query|path)\b/i.test(detail) ? [detail.split(/\W/)[0].toLowerCase()] : ['body'];
    return { detail: [{ type: 'value_error', loc, msg: detail }] };
  });
}
