/**
 * /api/v2/monitor/health against a real PostgreSQL: which job row speaks for
 * the scheduler, the DAG processor and the triggerer. As in Airflow, a running
 * job comes before any that ended, a job that ended is never healthy however
 * recent its heartbeat (a restart must not borrow the previous process's), and
 * a running job whose process was killed ages out by its heartbeat.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/api/app.ts';
import { endJob, heartbeatJob, type JobType, startJob } from '../src/db/sql/jobs.ts';
import { jwtSecret } from '../src/security/secret.ts';
import { startTestDb, type TestDb } from './helpers.ts';

let t: TestDb;
let app: FastifyInstance;

before(async () => {
  t = await startTestDb();
  app = buildApp({ pool: t.db.pool, config: t.config, secret: jwtSecret(t.config) });
});

after(async () => {
  await app?.close();
  await t?.close();
});

beforeEach(async () => {
  await t.db.pool.query('DELETE FROM job');
});

interface Component {
  status: string | null;
  heartbeat: string | null;
}

async function health(): Promise<{ metadatabase: string; scheduler: Component; dag_processor: Component; triggerer: Component }> {
  const res = await app.inject({ method: 'GET', url: '/api/v2/monitor/health' });
  assert.equal(res.statusCode, 200);
  const body = res.json();
  return {
    metadatabase: body.metadatabase.status,
    scheduler: { status: body.scheduler.status, heartbeat: body.scheduler.latest_scheduler_heartbeat },
    dag_processor: { status: body.dag_processor.status, heartbeat: body.dag_processor.latest_dag_processor_heartbeat },
    triggerer: { status: body.triggerer.status, heartbeat: body.triggerer.latest_triggerer_heartbeat },
  };
}

/** Moves a job's heartbeat into the past, as if its process had stopped beating that long ago. */
async function beatSecondsAgo(id: number, seconds: number): Promise<void> {
  await t.db.pool.query(`UPDATE job SET latest_heartbeat = now() - make_interval(secs => $2) WHERE id = $1`, [id, seconds]);
}

const COMPONENTS: [JobType, 'scheduler' | 'dag_processor' | 'triggerer'][] = [
  ['SchedulerJob', 'scheduler'],
  ['DagProcessorJob', 'dag_processor'],
  ['TriggererJob', 'triggerer'],
];

test('nothing ever ran: the scheduler is unhealthy, the optional components have no status', async () => {
  const h = await health();
  assert.equal(h.metadatabase, 'healthy');
  assert.deepEqual(h.scheduler, { status: 'unhealthy', heartbeat: null });
  assert.deepEqual(h.dag_processor, { status: null, heartbeat: null });
  assert.deepEqual(h.triggerer, { status: null, heartbeat: null });
});

for (const [jobType, key] of COMPONENTS) {
  describe(key, () => {
    test('a running job with a fresh heartbeat is healthy; once it ended it is not, though its heartbeat is seconds old', async () => {
      const id = await startJob(t.db.pool, jobType);
      await heartbeatJob(t.db.pool, id);
      const running = (await health())[key];
      assert.equal(running.status, 'healthy');

      // a clean shutdown: the job ends right after its last heartbeat
      await endJob(t.db.pool, id);
      const ended = (await health())[key];
      assert.equal(ended.status, 'unhealthy');
      assert.equal(ended.heartbeat, running.heartbeat, 'the ended job is still the one reported');
      assert.ok(Date.now() - Date.parse(ended.heartbeat as string) < 10_000, 'its heartbeat is recent');
    });

    test('after a restart the new running job decides, not a newer heartbeat of the job that ended', async () => {
      const previous = await startJob(t.db.pool, jobType);
      const current = await startJob(t.db.pool, jobType);
      await beatSecondsAgo(current, 5);
      await heartbeatJob(t.db.pool, previous);
      await endJob(t.db.pool, previous);
      const h = (await health())[key];
      assert.equal(h.status, 'healthy');
      const currentBeat = await t.db.pool.query<{ latest_heartbeat: Date }>('SELECT latest_heartbeat FROM job WHERE id = $1', [current]);
      assert.equal(h.heartbeat, currentBeat.rows[0].latest_heartbeat.toISOString(), "the running job's heartbeat is reported");
    });

    test('a job whose process was killed (never ended) is healthy until its heartbeat is a minute old', async () => {
      const killed = await startJob(t.db.pool, jobType);
      await beatSecondsAgo(killed, 20);
      assert.equal((await health())[key].status, 'healthy');
      await beatSecondsAgo(killed, 61);
      assert.equal((await health())[key].status, 'unhealthy');
      // its replacement starts: healthy again, from the new job's heartbeat
      await startJob(t.db.pool, jobType);
      assert.equal((await health())[key].status, 'healthy');
    });
  });
}
