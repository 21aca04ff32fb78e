/** The api-server: public REST API v2, auth, and the Execution API task processes call. */
import Fastify, { type FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Config } from '../config/config.ts';
import { registerAuth } from './auth.ts';
import { HttpError } from './errors.ts';
import { registerExecutionApi } from './execution.ts';
import { registerExecutionDagRunRoutes } from './execution-dag-runs.ts';
import { registerDagRoutes } from './public/dags.ts';
import { registerDagRunRoutes } from './public/dag-runs.ts';
import { registerMonitorRoutes } from './public/monitor.ts';
import { registerConnectionRoutes } from './public/connections.ts';
import { registerVariableRoutes } from './public/variables.ts';
import { registerClearRoutes } from './public/clear.ts';
import { registerBackfillRoutes } from './public/backfills.ts';
import { registerOperationRoutes } from './public/operations.ts';
import { registerXComRoutes } from './public/xcom.ts';
import { registerPublicApi } from './public/index.ts';
import { registerUi } from './ui/index.ts';
import { SecretCipher } from '../security/encryption.ts';
import { SensitiveNames } from '../security/sensitive.ts';
import { XComObjectStorage } from '../xcom/object-storage.ts';

export interface ApiDeps {
  pool: pg.Pool;
  config: Config;
  secret: Uint8Array;
  /** wakes a scheduler in this process at once (standalone); separate processes rely on NOTIFY */
  onStateChange?: (dagId: string) => void;
  /** same, for a newly triggered run */
  onRunCreated?: (dagId: string) => void;
  /** wakes a triggerer in this process when a task defers */
  onDeferred?: () => void;
}

export function buildApp(deps: ApiDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 10 * 1024 * 1024 });

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, _req, reply) => {
    if (err instanceof HttpError) return reply.code(err.statusCode).send({ detail: err.message });
    if (err.validation) return reply.code(422).send({ detail: err.message });
    if (err.statusCode && err.statusCode < 500) return reply.code(err.statusCode).send({ detail: err.message });
    app.log.error(err);
    return reply.code(500).send({ detail: `Internal error: ${err.message}` });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ detail: `Not Found: ${req.method} ${req.url.split('?')[0]}` }));

  registerAuth(app, { pool: deps.pool, secret: deps.secret, tokenTtl: deps.config.int('api_auth', 'jwt_expiration_time') });
  registerMonitorRoutes(app, deps.pool);
  // a malformed fernet_key fails here, at start, rather than at the first secret written
  const cipher = SecretCipher.fromConfig(deps.config);
  const sensitive = SensitiveNames.fromConfig(deps.config);
  const xcomStorage = XComObjectStorage.fromConfig(deps.config);
  app.addHook('onClose', async () => xcomStorage.close());
  registerExecutionApi(app, { pool: deps.pool, cipher, sensitive, xcomStorage, maxXComSize: deps.config.int('core', 'max_xcom_size'), confOverridesParams: deps.config.bool('core', 'dag_run_conf_overrides_params'), onStateChange: deps.onStateChange, onDeferred: deps.onDeferred });
  registerExecutionDagRunRoutes(app, { pool: deps.pool, xcomStorage, onRunCreated: deps.onRunCreated });
  registerDagRoutes(app, deps.pool, xcomStorage);
  registerDagRunRoutes(app, { pool: deps.pool, config: deps.config, onTrigger: deps.onRunCreated });
  registerVariableRoutes(app, { pool: deps.pool, cipher, sensitive });
  registerConnectionRoutes(app, { pool: deps.pool, cipher, sensitive, config: deps.config });
  registerXComRoutes(app, { pool: deps.pool, storage: xcomStorage });
  registerClearRoutes(app, { pool: deps.pool, storage: xcomStorage });
  registerBackfillRoutes(app, { pool: deps.pool, onCreated: deps.onRunCreated });
  registerOperationRoutes(app, { pool: deps.pool, storage: xcomStorage });
  registerPublicApi(app, deps, xcomStorage);
  registerUi(app, { pool: deps.pool, config: deps.config });
  return app;
}
