/** Health and version: the two routes that need no token (load balancers and probes call them). */
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { mostRecentJob } from '../../db/sql/jobs.ts';
import { VERSION } from '../../version.ts';

const HEALTHY_WITHIN_MS = 60_000;

export function registerMonitorRoutes(app: FastifyInstance, pool: pg.Pool) {
  app.get('/api/v2/version', async () => ({ version: VERSION, git_version: null }));

  app.get('/api/v2/monitor/health', async () => {
    let metadatabase = 'healthy';
    try {
      await pool.query('SELECT 1');
    } catch {
      metadatabase = 'unhealthy';
    }
    const component = async (jobType: 'SchedulerJob' | 'DagProcessorJob' | 'TriggererJob') => {
      if (metadatabase !== 'healthy') return { status: null, latest_heartbeat: null };
      const job = await mostRecentJob(pool, jobType);
      // never run: Airflow says "unhealthy" for a scheduler, and nothing for the optional components
      if (!job) return { status: jobType === 'SchedulerJob' ? 'unhealthy' : null, latest_heartbeat: null };
      // a job that ended (clean shutdown) never counts, however recent its last heartbeat;
      // a running one whose process was killed counts until its heartbeat is too old
      const alive = job.state === 'running' && Date.now() - job.latest_heartbeat.getTime() < HEALTHY_WITHIN_MS;
      return { status: alive ? 'healthy' : 'unhealthy', latest_heartbeat: job.latest_heartbeat.toISOString() };
    };
    const scheduler = await component('SchedulerJob');
    const dagProcessor = await component('DagProcessorJob');
    const triggerer = await component('TriggererJob');
    return {
      metadatabase: { status: metadatabase },
      scheduler: { status: scheduler.status, latest_scheduler_heartbeat: scheduler.latest_heartbeat },
      dag_processor: { status: dagProcessor.status, latest_dag_processor_heartbeat: dagProcessor.latest_heartbeat },
      triggerer: { status: triggerer.status, latest_triggerer_heartbeat: triggerer.latest_heartbeat },
    };
  });
}
