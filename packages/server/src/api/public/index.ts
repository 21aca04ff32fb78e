/**
 * The rest of the public REST API v2 and its cross-cutting rules (error
 * shapes, login, CORS, body size, OpenAPI document), registered in one call
 * from app.ts so that adding an endpoint does not touch the app's wiring.
 */
import type { FastifyInstance } from 'fastify';
import type { XComObjectStorage } from '../../xcom/object-storage.ts';
import type { ApiDeps } from '../app.ts';
import { registerLoginRoutes } from '../auth.ts';
import { registerValidationErrorShape } from '../errors.ts';
import { registerHttpPolicy } from '../http-policy.ts';
import { registerOpenApi } from '../openapi.ts';
import { registerAssetRoutes } from './assets.ts';
import { registerComponentRoutes } from './components.ts';
import { registerConfigRoutes } from './config.ts';
import { registerDagMetadataRoutes } from './dag-metadata.ts';
import { registerDagRunListRoutes } from './dag-run-lists.ts';
import { registerEventLogRoutes } from './event-logs.ts';
import { registerLogRoutes } from './logs.ts';
import { registerPoolRoutes } from './pools.ts';
import { registerRoleRoutes } from './roles.ts';
import { registerTaskInstanceListRoutes } from './task-instance-lists.ts';
import { registerUserRoutes } from './users.ts';

export function registerPublicApi(app: FastifyInstance, deps: ApiDeps, storage: XComObjectStorage) {
  registerValidationErrorShape(app);
  registerHttpPolicy(app, deps.config);
  registerLoginRoutes(app, { pool: deps.pool, secret: deps.secret, config: deps.config });
  registerLogRoutes(app, { pool: deps.pool, config: deps.config });
  registerPoolRoutes(app, deps.pool);
  registerEventLogRoutes(app, deps.pool);
  registerConfigRoutes(app, deps.config);
  registerDagMetadataRoutes(app, deps.pool);
  registerDagRunListRoutes(app, { pool: deps.pool, storage });
  registerTaskInstanceListRoutes(app, deps.pool);
  registerComponentRoutes(app, deps.pool);
  registerUserRoutes(app, deps.pool);
  registerRoleRoutes(app, deps.pool);
  registerAssetRoutes(app, { pool: deps.pool, onRunCreated: deps.onRunCreated });
  registerOpenApi(app);
}
