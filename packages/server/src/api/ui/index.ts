/**
 * Everything the web UI needs from the api-server besides the public API: the
 * built app at `/` (deep links included), a few aggregate reads under /ui/,
 * and the settings the app starts with. /ui/ routes take the same bearer
 * token as /api/v2 (checked in ../auth.ts) and are reads any role may make.
 */
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Config } from '../../config/config.ts';
import { createLogger } from '../../util/logger.ts';
import { VERSION } from '../../version.ts';
import { registerUiGridRoutes } from './grid.ts';
import { registerUiLogStream } from './log-stream.ts';
import { registerUiRecentRuns } from './recent-runs.ts';
import { registerUiRunTaskInstances } from './run-task-instances.ts';
import { serveUi } from './static.ts';

export function registerUi(app: FastifyInstance, deps: { pool: pg.Pool; config: Config }) {
  app.get('/ui/config', async (req) => ({
    version: VERSION,
    default_ui_timezone: deps.config.str('webserver', 'default_ui_timezone'),
    username: req.user?.sub ?? null,
    role: req.user?.role ?? null,
    // built-in and custom: what a user without a built-in role holds
    roles: req.user?.roles ?? [],
  }));
  registerUiRecentRuns(app, deps.pool);
  registerUiGridRoutes(app, deps.pool);
  registerUiRunTaskInstances(app, deps.pool);
  registerUiLogStream(app, { pool: deps.pool, config: deps.config });
  serveUi(app, createLogger('api-server', deps.config.str('logging', 'logging_level')));
}
