/**
 * The example DAGs load, validate and keep the shape of Airflow's originals.
 * Each import gets a fresh query string: ESM caches modules by URL, and a
 * cached file would not construct its DAG (and register it) again.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { collectDags, resetDagRegistry, serializeDag, type SerializedDag } from '@updraft/sdk';

const dagsDir = fileURLToPath(new URL('../../../examples/dags/', import.meta.url));

let imports = 0;

async function load(file: string): Promise<SerializedDag[]> {
  resetDagRegistry();
  const fileloc = path.join(dagsDir, file);
  await import(`${pathToFileURL(fileloc).href}?load=${++imports}`);
  return collectDags().map((dag) => serializeDag(dag, fileloc));
}

function graph(dag: SerializedDag): Record<string, string[]> {
  return Object.fromEntries(dag.tasks.map((task) => [task.task_id, task.downstream_task_ids]));
}

describe('example DAGs', () => {
  // Airflow's originals of these files define several DAGs, under these ids
  const SEVERAL: Record<string, string[]> = {
    'example_assets.ts': [
      'asset_produces_1', 'asset_produces_2', 'asset_consumes_1', 'asset_consumes_1_and_2', 'asset_consumes_1_never_scheduled',
      'asset_consumes_unknown_never_scheduled', 'consume_1_and_2_with_asset_expressions', 'consume_1_or_2_with_asset_expressions',
      'consume_1_or_both_2_and_3_with_asset_expressions',
    ],
    'example_dynamic_task_mapping.ts': ['example_dynamic_task_mapping', 'example_task_mapping_second_order'],
  };

  it('every file defines valid DAGs: the one named after the file, or the ones its Airflow original has', async () => {
    const files = readdirSync(dagsDir).filter((file) => file.endsWith('.ts'));
    assert.ok(files.length >= 15);
    for (const file of files) {
      const dags = await load(file);
      assert.deepEqual(dags.map((dag) => dag.dag_id), SEVERAL[file] ?? [path.basename(file, '.ts')], file);
    }
  });

  it('example_bash_operator matches Airflow', async () => {
    const [dag] = await load('example_bash_operator.ts');
    assert.deepEqual(graph(dag), {
      run_this_last: [],
      run_after_loop: ['run_this_last'],
      runme_0: ['run_after_loop'],
      runme_1: ['run_after_loop'],
      runme_2: ['run_after_loop'],
      also_run_this: ['run_this_last'],
      this_will_skip: ['run_this_last'],
    });
    assert.deepEqual(dag.schedule, { kind: 'cron', expression: '0 0 * * *' });
    assert.equal(dag.start_date, '2021-01-01T00:00:00+00:00');
    assert.equal(dag.dagrun_timeout_seconds, 3600);
    assert.deepEqual(dag.tags, ['example', 'example2']);
    assert.deepEqual(dag.params.example_key.value, 'example_value');
    assert.equal(dag.tasks.find((t) => t.task_id === 'run_this_last')!.trigger_rule, 'all_done');
  });

  it('tutorial matches Airflow', async () => {
    const [dag] = await load('tutorial.ts');
    assert.deepEqual(graph(dag), { print_date: ['sleep', 'templated'], sleep: [], templated: [] });
    assert.deepEqual(dag.schedule, { kind: 'delta', seconds: 86400 });
    assert.equal(dag.schedule_text, '1 day, 0:00:00');
    const sleep = dag.tasks.find((t) => t.task_id === 'sleep')!;
    assert.equal(sleep.retries, 3);
    assert.equal(sleep.retry_delay_seconds, 300);
    assert.deepEqual(sleep.email, ['airflow@example.com']);
    assert.equal(dag.doc_md, 'This is a documentation placed anywhere');
  });

  it('example_xcom wires TaskFlow and bash tasks like Airflow', async () => {
    const [dag] = await load('example_xcom.ts');
    assert.deepEqual(graph(dag), {
      bash_push: ['bash_pull', 'pull_value_from_bash_push'],
      bash_pull: [],
      pull_value_from_bash_push: [],
      push: ['puller'],
      push_by_returning: ['puller'],
      puller: [],
    });
    const pull = dag.tasks.find((t) => t.task_id === 'bash_pull')!;
    assert.match(
      String(pull.fields.bash_command),
      /\{\{ task_instance\.xcom_pull\(task_ids='bash_push', dag_id='example_xcom', key='manually_pushed_value'\) \}\}/,
    );
  });
});
