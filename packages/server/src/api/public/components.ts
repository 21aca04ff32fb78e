/**
 * The installation itself: jobs (running components and their heartbeats),
 * import errors one by one, plugins and providers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { listJobs, type JobRow } from '../../db/sql/jobs.ts';
import { notFound } from '../errors.ts';
import { boolParam, orderBy, paging } from './pagination.ts';
import { intParam, Where } from './filters.ts';

/** a running job whose heartbeat is older than this is considered dead */
const ALIVE_WITHIN_SECONDS = 60;

function jobResponse(j: JobRow) {
  return {
    id: Number(j.id),
    dag_id: null,
    state: j.state,
    job_type: j.job_type,
    start_date: j.start_date.toISOString(),
    end_date: j.end_date?.toISOString() ?? null,
    latest_heartbeat: j.latest_heartbeat.toISOString(),
    executor_class: j.job_type === 'SchedulerJob' ? 'LocalExecutor' : null,
    hostname: j.hostname,
    unixname: null,
    dag_display_name: null,
  };
}

/** Provider packages installed beside the server: @updraft/provider-*. */
function installedProviders(): { package_name: string; description: string; version: string; documentation_url: null }[] {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const scope = path.join(dir, 'node_modules', '@updraft');
    if (fs.existsSync(scope)) {
      return fs
        .readdirSync(scope)
        .filter((name) => name.startsWith('provider-'))
        .sort()
        .map((name) => {
          const pkg = JSON.parse(fs.readFileSync(path.join(scope, name, 'package.json'), 'utf8')) as { name: string; version: string; description?: string };
          return { package_name: pkg.name, description: pkg.description ?? `Updraft provider ${name.slice('provider-'.length)}`, version: pkg.version, documentation_url: null };
        });
    }
    const parent = path.dirname(dir);
    if (parent === dir) return [];
    dir = parent;
  }
}

export function registerComponentRoutes(app: FastifyInstance, pool: pg.Pool) {
  app.get('/api/v2/jobs', async (req) => {
    const q = req.query as Record<string, unknown>;
    const { limit, offset } = paging(q);
    const w = new Where().ranges(q, { start_date: 'start_date', end_date: 'end_date' }, 'date');
    if (q.job_state !== undefined) w.add('state = ?', String(q.job_state));
    if (q.job_type !== undefined) w.add('job_type = ?', String(q.job_type));
    if (q.hostname !== undefined) w.add('hostname = ?', String(q.hostname));
    if (q.executor_class !== undefined && q.executor_class !== 'LocalExecutor') w.add('false');
    const alive = boolParam(q.is_alive);
    if (alive !== undefined) {
      const live = `(state = 'running' AND latest_heartbeat > now() - make_interval(secs => ${ALIVE_WITHIN_SECONDS}))`;
      w.add(alive ? live : `NOT ${live}`);
    }
    const order = orderBy(q.order_by, { id: 'id', job_type: 'job_type', state: 'state', start_date: 'start_date', end_date: 'end_date', latest_heartbeat: 'latest_heartbeat', hostname: 'hostname' }, 'id');
    const { rows, total } = await listJobs(pool, { where: w.sql(), args: w.args, orderBy: order, limit, offset });
    return { jobs: rows.map(jobResponse), total_entries: total };
  });

  app.get('/api/v2/importErrors/:import_error_id', async (req) => {
    const { import_error_id } = req.params as { import_error_id: string };
    const id = intParam(import_error_id, 'import_error_id');
    const r = await pool.query<{ id: number; filename: string; stacktrace: string; timestamp: Date }>('SELECT * FROM import_error WHERE id = $1', [id]);
    const e = r.rows[0];
    if (!e) throw notFound(`The ImportError with import_error_id: \`${import_error_id}\` was not found`);
    return { import_error_id: Number(e.id), timestamp: e.timestamp.toISOString(), filename: e.filename, bundle_name: 'dags-folder', stack_trace: e.stacktrace };
  });

  // Updraft has no plugin mechanism yet: the list is empty, and so are its import errors
  app.get('/api/v2/plugins', async (req) => {
    paging(req.query as Record<string, unknown>);
    return { plugins: [], total_entries: 0 };
  });
  app.get('/api/v2/plugins/importErrors', async () => ({ import_errors: [], total_entries: 0 }));

  app.get('/api/v2/providers', async (req) => {
    const { limit, offset } = paging(req.query as Record<string, unknown>);
    const all = installedProviders();
    return { providers: all.slice(offset, offset + limit), total_entries: all.length };
  });
}
