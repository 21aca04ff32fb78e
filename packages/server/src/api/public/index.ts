/**
 * The rest of the public REST API v2 and its cross-cutting rules (error
 * shapes, roles, CORS, body size, OpenAPI document), registered in one call
 * from app.ts so that adding an endpoint does not touch the app's wiring.
 */
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../app.ts';
import { registerValidationErrorShape } from '../errors.ts';
import { registerLogRoutes } from './logs.ts';

export function registerPublicApi(app: FastifyInstance, deps: ApiDeps) {
  registerValidationErrorShape(app);
  registerLogRoutes(app, { pool: deps.pool, config: deps.config });
}
