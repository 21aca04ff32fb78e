/**
 * Parsing: N generated DAG files (default 1,000) of 10 tasks each; the time until
 * every DAG is serialized in the database, then the time until a changed file's
 * new version is stored (file watching).
 */
import fs from 'node:fs';
import path from 'node:path';
import { DagProcessor } from '../packages/server/src/dag-processing/processor.ts';
import { openDatabase } from '../packages/server/src/db/database.ts';
import { migrate } from '../packages/server/src/db/migrate.ts';
import { createLogger } from '../packages/server/src/util/logger.ts';
import { benchConfig, freshHome, generatedDagSource, size, waitUntil, writeResult } from './lib.ts';

const FILES = size('PARSE_FILES', 1000, 100);
const dagSource = generatedDagSource;

const { home, dags, cleanup } = freshHome();
for (let i = 0; i < FILES; i++) fs.writeFileSync(path.join(dags, `gen_${i}.ts`), dagSource(i, 'v1'));
const config = benchConfig(home);
const db = await openDatabase(config);
await migrate(db.pool);
const processor = new DagProcessor({ pool: db.pool, config, log: createLogger('bench', 'error') });
try {
  const started = Date.now();
  await processor.start();
  await waitUntil(async () => (await db.pool.query<{ n: number }>('SELECT count(*) AS n FROM dag WHERE is_active')).rows[0].n === FILES, 600_000, 'every DAG to be stored', 50);
  const allSeconds = (Date.now() - started) / 1000;
  const errors = (await db.pool.query<{ n: number }>('SELECT count(*) AS n FROM import_error')).rows[0].n;

  const changedAt = Date.now();
  fs.writeFileSync(path.join(dags, 'gen_7.ts'), dagSource(7, 'v2'));
  await waitUntil(async () => (await db.pool.query("SELECT 1 FROM dag WHERE dag_id = 'gen_7' AND 'v2' = ANY(tags)")).rowCount === 1, 60_000, 'the changed file', 5);
  const changeMs = Date.now() - changedAt;
  console.log(`parse ${FILES} files x 10 tasks: ${allSeconds.toFixed(1)} s (target <= 10 s), import errors ${errors}`);
  console.log(`changed file picked up in ${changeMs} ms (target <= 1000 ms)`);
  writeResult('parsing', { files: FILES, tasks_per_dag: 10, all_serialized_seconds: allSeconds, import_errors: errors, changed_file_ms: changeMs, targets: { all_seconds: 10, changed_ms: 1000 } });
} finally {
  await processor.stop();
  await db.close();
  cleanup();
}
