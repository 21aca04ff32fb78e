/**
 * Request rules that hold for the whole API: bodies no larger than
 * [api] max_body_size, and CORS only for the origins listed in
 * [api] access_control_allow_origins (none by default).
 */
import { Transform } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config.ts';
import { HttpError } from './errors.ts';

const tooLarge = (max: number) => new HttpError(413, `The request body is larger than [api] max_body_size (${max} bytes)`);

export function registerHttpPolicy(app: FastifyInstance, config: Config) {
  const maxBody = config.int('api', 'max_body_size');

  // a declared length is refused before anything is read; a chunked body is counted as it streams.
  // The Execution API is left to its own limits ([core] max_xcom_size names the XCom that is too big).
  const limited = (url: string) => !url.startsWith('/execution/');
  app.addHook('onRequest', async (req) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBody && limited(req.url)) throw tooLarge(maxBody);
  });
  app.addHook('preParsing', async (req, _reply, payload) => {
    if (!limited(req.url)) return payload;
    let seen = 0;
    return payload.pipe(
      new Transform({
        transform(chunk: Buffer, _enc, done) {
          seen += chunk.length;
          done(seen > maxBody ? tooLarge(maxBody) : null, chunk);
        },
      }),
    );
  });

  const origins = config
    .str('api', 'access_control_allow_origins')
    .split(/[\s,]+/)
    .filter(Boolean);
  if (!origins.length) return;
  const allowed = (origin: string) => origins.includes('*') || origins.includes(origin);
  // on every answer, errors included, so a browser can read a 401 or 422 too
  app.addHook('onSend', async (req, reply, payload) => {
    const origin = req.headers.origin;
    if (origin && allowed(origin)) {
      reply.header('access-control-allow-origin', origins.includes('*') ? '*' : origin);
      reply.header('vary', 'Origin');
    }
    return payload;
  });
  app.addHook('onRequest', async (req, reply) => {
    const origin = req.headers.origin;
    if (req.method !== 'OPTIONS' || !origin || !allowed(origin) || !req.headers['access-control-request-method']) return;
    reply.header('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE, OPTIONS');
    reply.header('access-control-allow-headers', 'Authorization, Content-Type, Accept');
    reply.header('access-control-max-age', '600');
    return reply.code(204).send();
  });
}
