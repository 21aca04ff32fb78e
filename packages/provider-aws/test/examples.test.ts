/**
 * The example pipelines end to end: a whole standalone (api-server,
 * scheduler, DAG processor, executor, embedded PostgreSQL) runs each example
 * DAG file copied into its dags folder, against moto_server with the emulator
 * in front of it (aws-emulator.ts: notebook executions, which moto does not
 * implement, and the end of EMR steps, Step Functions executions and Athena
 * failures, which moto never reaches). The emulator ends those at their first
 * describe (describesPerStep 0), so the sensors' 30-60 s poke intervals never
 * come into play; the poke loops themselves are tested in emr/services tests.
 *
 * The connection is MWAA's: AIRFLOW_CONN_AWS_DEFAULT=aws:// with the SDK's
 * default chain, the endpoint from AWS_ENDPOINT_URL; one run uses an
 * UPDRAFT_CONN_AWS_DEFAULT in JSON form with keys and endpoint instead, and
 * emr_default is a database connection made through the REST API.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DescribeClusterCommand, EMRClient } from '@aws-sdk/client-emr';
import { startStandalone, tiStates, type TestStandalone } from '../../server/test/helpers.ts';
import { type AwsEmulator, startAwsEmulator } from './aws-emulator.ts';
import { type Moto, motoMissing, startMoto, useFakeAwsEnvironment } from './support.ts';

const skip = motoMissing();
const EXAMPLES = path.resolve(import.meta.dirname, '../examples');
const REPO_NODE_MODULES = path.resolve(import.meta.dirname, '../../../node_modules');
const REGION = 'us-east-1';

let moto: Moto;
let emulator: AwsEmulator;
let s: TestStandalone;
let zipServer: http.Server;
let zipUrl: string;
const saved: Record<string, string | undefined> = {};
const clients = () => {
  const config = { region: REGION, endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  return { s3: new S3Client({ ...config, forcePathStyle: true }), emr: new EMRClient(config), sfn: new SFNClient(config) };
};

function setEnv(values: Record<string, string | undefined>): void {
  for (const [k, v] of Object.entries(values)) {
    if (!(k in saved)) saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

async function api(method: string, url: string, body?: unknown) {
  const res = await s.api(method, url, body);
  if (res.status >= 300) throw new Error(`${method} ${url} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Admin → Variables → Import, as the posts do it: every key of the JSON file, with `overrides` for this machine. */
async function importVariables(file: string, overrides: Record<string, string> = {}): Promise<Record<string, string>> {
  const values = { ...JSON.parse(fs.readFileSync(path.join(EXAMPLES, 'airflow_variables', file), 'utf8')), ...overrides };
  for (const [key, value] of Object.entries(values)) {
    await s.api('DELETE', `/api/v2/variables/${encodeURIComponent(key)}`);
    await api('POST', '/api/v2/variables', { key, value: String(value) });
  }
  return values;
}

/** `aws s3 cp dags/x.py s3://…/dags/`: the example file into the dags folder. */
async function deploy(file: string, dagId: string): Promise<void> {
  fs.copyFileSync(path.join(EXAMPLES, file), path.join(s.dagsFolder, file));
  await s.waitForDag(dagId, 30_000);
}

async function run(dagId: string, conf: Record<string, unknown> = {}): Promise<{ runId: string; state: string; tis: Record<string, string | null> }> {
  const runId = await s.trigger(dagId, { conf });
  const state = await s.waitForRun(dagId, runId, 90_000);
  return { runId, state, tis: await tiStates(s.db, dagId, runId) };
}

const tiUrl = (dagId: string, runId: string, taskId: string) => `/api/v2/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances/${taskId}`;
const xcom = async (dagId: string, runId: string, taskId: string, key = 'return_value') => (await api('GET', `${tiUrl(dagId, runId, taskId)}/xcomEntries/${key}`)).value;
const rendered = async (dagId: string, runId: string, taskId: string) => (await api('GET', tiUrl(dagId, runId, taskId))).rendered_fields;
async function log(dagId: string, runId: string, taskId: string, tryNumber = 1): Promise<string> {
  const res = await fetch(`${s.url}${tiUrl(dagId, runId, taskId)}/logs/${tryNumber}`, { headers: { authorization: `Bearer ${s.token}`, accept: 'text/plain' } });
  return res.text();
}
const sent = (operation: string) => emulator.requests.filter((r) => r.operation === operation).map((r) => r.body);

describe('example pipelines end to end (standalone + moto_server)', { skip, timeout: 240_000 }, () => {
  before(async () => {
    useFakeAwsEnvironment();
    moto = await startMoto();
    emulator = await startAwsEmulator(moto.endpoint);
    emulator.describesPerStep = 0;
    setEnv({ AIRFLOW_CONN_AWS_DEFAULT: 'aws://', AWS_ENDPOINT_URL: emulator.endpoint, AWS_REGION: REGION });
    zipServer = http.createServer((req, res) => {
      if (req.url !== '/ml-latest-small.zip') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/zip' });
      res.end(fs.readFileSync(zipPath));
    });
    await new Promise<void>((resolve) => zipServer.listen(0, '127.0.0.1', resolve));
    zipUrl = `http://127.0.0.1:${(zipServer.address() as AddressInfo).port}/ml-latest-small.zip`;
    s = await startStandalone();
    // DAG files import @updraft/provider-aws like any package: make this install's packages reachable from the dags folder
    fs.symlinkSync(REPO_NODE_MODULES, path.join(path.dirname(s.dagsFolder), 'node_modules'));
    setEnv({ UPDRAFT_HOME: s.config.home });
  });
  after(async () => {
    if (s) {
      fs.rmSync(path.join(path.dirname(s.dagsFolder), 'node_modules'), { force: true });
      await s.close();
    }
    zipServer?.close();
    await emulator?.close();
    await moto?.stop();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  let zipPath = '';
  test('spark_pi_example: job flow id and step ids as XComs, the step sensor renders them; a failed step fails the run with EMR\'s failure details', async () => {
    await deploy('spark_pi_example.ts', 'spark_pi_example');
    const ok = await run('spark_pi_example');
    assert.equal(ok.state, 'success', JSON.stringify(ok.tis));
    const jobFlowId = await xcom('spark_pi_example', ok.runId, 'create_job_flow');
    assert.match(jobFlowId, /^j-[A-Z0-9]+$/);
    const stepIds = await xcom('spark_pi_example', ok.runId, 'add_steps');
    assert.ok(Array.isArray(stepIds) && stepIds.length === 1 && /^s-/.test(stepIds[0]), JSON.stringify(stepIds));
    assert.equal((await rendered('spark_pi_example', ok.runId, 'add_steps')).job_flow_id, jobFlowId);
    const watch = await rendered('spark_pi_example', ok.runId, 'watch_step');
    assert.deepEqual([watch.job_flow_id, watch.step_id], [jobFlowId, stepIds[0]]);
    assert.equal(sent('RunJobFlow').at(-1)!.Name, 'demo-cluster-airflow');
    assert.deepEqual(sent('AddJobFlowSteps').at(-1)!.Steps[0].HadoopJarStep.Args, ['/usr/lib/spark/bin/run-example', 'SparkPi', '10']);

    emulator.failSteps.set('calculate_pi', { Reason: 'Unknown Error.', Message: 'java.lang.OutOfMemoryError', LogFile: 's3://logs/steps/stderr.gz' });
    try {
      const bad = await run('spark_pi_example');
      assert.equal(bad.state, 'failed');
      assert.deepEqual([bad.tis.create_job_flow, bad.tis.add_steps, bad.tis.watch_step], ['success', 'success', 'failed']);
      assert.match(await log('spark_pi_example', bad.runId, 'watch_step'), /EMR job failed for reason Unknown Error\. with message java\.lang\.OutOfMemoryError and log file s3:\/\/logs\/steps\/stderr\.gz/);
    } finally {
      emulator.failSteps.clear();
    }
  });

  test('bakery_sales: Variables imported from JSON and dag_run.conf rendered into the cluster and the step (connection from UPDRAFT_CONN_AWS_DEFAULT in JSON form)', async () => {
    const vars = await importVariables('admin_variables_bakery.json');
    const conf = JSON.parse(fs.readFileSync(path.join(EXAMPLES, 'airflow_variables', 'dag_run.conf_bakery.json'), 'utf8'));
    setEnv({ UPDRAFT_CONN_AWS_DEFAULT: JSON.stringify({ conn_type: 'aws', login: 'testing', password: 'testing', extra: { region_name: REGION, endpoint_url: emulator.endpoint } }) });
    try {
      await deploy('bakery_sales.ts', 'bakery_sales');
      const r = await run('bakery_sales', conf);
      assert.equal(r.state, 'success', JSON.stringify(r.tis));
      const request = sent('RunJobFlow').at(-1)!;
      assert.equal(request.ReleaseLabel, 'emr-6.2.0');
      assert.equal(request.LogUri, `s3n://${vars.logs_bucket}`);
      assert.equal(request.Instances.Ec2KeyName, vars.emr_ec2_key_pair);
      assert.equal(request.BootstrapActions[0].ScriptBootstrapAction.Path, `s3://${vars.bootstrap_bucket}/bootstrap_actions.sh`);
      assert.deepEqual([request.JobFlowRole, request.ServiceRole], ['EMR_EC2_DemoRole', 'EMR_DemoRole']);
      const renderedOverrides = (await rendered('bakery_sales', r.runId, 'create_job_flow')).job_flow_overrides;
      assert.equal(renderedOverrides.ReleaseLabel, 'emr-6.2.0');
      assert.equal(sent('AddJobFlowSteps').at(-1)!.Steps[0].HadoopJarStep.Args.at(-1), `s3a://${vars.work_bucket}/analyze/bakery_sales_ssm.py`);
      const dagRun = await api('GET', `/api/v2/dags/bakery_sales/dagRuns/${encodeURIComponent(r.runId)}`);
      assert.deepEqual(dagRun.conf, conf);
    } finally {
      setEnv({ UPDRAFT_CONN_AWS_DEFAULT: undefined });
    }
  });

  test('multiple_steps: cluster spec and four steps read from the work bucket and rendered; a missing bucket fails with NoSuchBucket in the log', async () => {
    const vars = await importVariables('admin_variables_bakery.json', { work_bucket: 'emr-demo-missing-bucket' });
    await deploy('multiple_steps.ts', 'multiple_steps');
    const missing = await run('multiple_steps', { airflow_email: 'a@example.com' });
    assert.equal(missing.state, 'failed');
    assert.equal(missing.tis.create_job_flow, 'failed');
    assert.match(await log('multiple_steps', missing.runId, 'create_job_flow'), /An error occurred \(NoSuchBucket\) when calling the GetObject operation: The specified bucket does not exist/);

    const work = 'emr-demo-work-123412341234-us-east-1';
    await importVariables('admin_variables_bakery.json', { work_bucket: work });
    const { s3 } = clients();
    await s3.send(new CreateBucketCommand({ Bucket: work }));
    for (const key of ['job_flow_overrides/job_flow_overrides.json', 'emr_steps/emr_steps.json']) {
      await s3.send(new PutObjectCommand({ Bucket: work, Key: key, Body: fs.readFileSync(path.join(EXAMPLES, key)) }));
    }
    s3.destroy();
    const r = await run('multiple_steps', { airflow_email: 'a@example.com' });
    assert.equal(r.state, 'success', JSON.stringify(r.tis));
    const request = sent('RunJobFlow').at(-1)!;
    assert.equal(request.StepConcurrencyLevel, 5);
    assert.equal(request.Instances.Ec2SubnetId, vars.ec2_subnet_id);
    assert.equal(request.Instances.InstanceFleets[1].InstanceTypeConfigs[0].InstanceType, 'r5.2xlarge');
    const steps = sent('AddJobFlowSteps').at(-1)!.Steps;
    assert.deepEqual(steps.map((x: { Name: string }) => x.Name), ['Movie Ratings', 'Stock Volatility', 'Bakery Sales', 'Stack Overflow']);
    assert.equal(steps[0].HadoopJarStep.Args[7], `s3a://${work}/analyze/movies_avg_ratings_ssm.py`);
    assert.equal((await xcom('multiple_steps', r.runId, 'add_steps')).length, 4);
  });

  test('movie-list-dag: S3 key sensor, MovieLens zip into S3, three Athena tables and a join, cleaned CSV, Redshift Data statements rendered with the join\'s query id; a failed Athena query fails with its reason', async () => {
    const bucket = 'movie-list-test';
    const dir = fs.mkdtempSync(path.join(s.config.home, 'zip-'));
    fs.mkdirSync(path.join(dir, 'ml-latest-small'));
    fs.writeFileSync(path.join(dir, 'ml-latest-small', 'movies.csv'), 'movieId,title,genres\n1,Toy Story (1995),Animation\n');
    fs.writeFileSync(path.join(dir, 'ml-latest-small', 'ratings.csv'), 'userId,movieId,rating,timestamp\n1,1,5,964982703\n');
    zipPath = path.join(dir, 'ml-latest-small.zip');
    execFileSync('python3', ['-c', 'import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:\n  z.write("ml-latest-small/movies.csv"); z.write("ml-latest-small/ratings.csv")', zipPath], { cwd: dir });
    await importVariables('movie_list_variables.json', { s3_bucket_name: bucket, download_http: zipUrl });
    const { s3 } = clients();
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    // the post's bucket has a files/ folder (the console's zero-byte key), which the sensor waits for
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'files/', Body: '' }));
    emulator.athenaResults.push({ match: /INNER JOIN/, csv: '"title","rating"\n"Toy Story "e"(1995)","5"\n' });
    await deploy('movie_list_dag.ts', 'movie-list-dag');
    const r = await run('movie-list-dag');
    assert.equal(r.state, 'success', JSON.stringify(r.tis));
    const { GetObjectCommand, ListObjectsV2Command } = await import('@aws-sdk/client-s3');
    const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'files/ml-latest-small/' }))).Contents ?? []).map((o) => o.Key);
    assert.deepEqual(keys, ['files/ml-latest-small/movies.csv/ml-latest-small/movies.csv', 'files/ml-latest-small/ratings.csv/ml-latest-small/ratings.csv']);
    const queryId = await xcom('movie-list-dag', r.runId, 'join_athena_tables');
    assert.match(queryId, /^[0-9a-f-]{36}$/);
    const clean = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `athena-results/join_athena_tables/${queryId}_clean.csv` }));
    assert.equal(await clean.Body!.transformToString(), '"title","rating"\n"Toy Story (1995)","5"\n');
    const athena = await rendered('movie-list-dag', r.runId, 'create_athena_movie_table');
    assert.equal(athena.output_location, `s3://${bucket}/athena-results/create_athena_movie_table`);
    assert.match(athena.query, new RegExp(`LOCATION 's3://${bucket}/files/ml-latest-small/movies\\.csv/ml-latest-small/'`));
    assert.equal(athena.database, 'demo_athena_db');
    const copy = await rendered('movie-list-dag', r.runId, 'transfer_to_redshift');
    assert.equal(copy.sql, `copy movie_demo from 's3://${bucket}/athena-results/join_athena_tables/${queryId}_clean.csv' iam_role 'arn:aws:iam::163919838948:role/myRedshiftRole' CSV IGNOREHEADER 1;`);
    assert.match(await xcom('movie-list-dag', r.runId, 'transfer_to_redshift'), /^[0-9a-f-]{36}$/);
    assert.match(await log('movie-list-dag', r.runId, 'check_s3_for_key'), /Poking for key : s3:\/\/movie-list-test\/files\//);

    emulator.athenaFailures.push({ match: /INNER JOIN/, reason: 'HIVE_BAD_DATA: Error parsing field value' });
    try {
      const bad = await run('movie-list-dag');
      assert.equal(bad.state, 'failed');
      assert.deepEqual([bad.tis.join_athena_tables, bad.tis.clean_up_csv, bad.tis.transfer_to_redshift], ['failed', 'upstream_failed', 'upstream_failed']);
      assert.match(await log('movie-list-dag', bad.runId, 'join_athena_tables'), /Final state of Athena job is FAILED, query_execution_id is [0-9a-f-]{36}\. Error: HIVE_BAD_DATA: Error parsing field value/);
    } finally {
      emulator.athenaFailures.length = 0;
      s3.destroy();
    }
  });

  test('test_dag: cluster from the emr_default connection and overrides, custom job-flow sensor, notebook execution (emulated) with its parameters, custom notebook sensor, cluster terminated', async () => {
    await api('POST', '/api/v2/connections', { connection_id: 'emr_default', conn_type: 'emr', extra: JSON.stringify({ VisibleToAllUsers: true, Name: 'from-emr-default', ReleaseLabel: 'emr-5.0.0' }) });
    const vars = await importVariables('variables.json', { REGION, SUBNET_ID: 'subnet-0123', EMR_LOG_URI: 's3://emr-logs/', NOTEBOOK_ID: 'e-NOTEBOOK1', OUTPUT_LOCATION: 's3://query-output/' });
    await deploy('test_dag.ts', 'test_dag');
    const r = await run('test_dag');
    assert.equal(r.state, 'success', JSON.stringify(r.tis));
    const request = sent('RunJobFlow').at(-1)!;
    assert.deepEqual([request.Name, request.ReleaseLabel, request.VisibleToAllUsers], ['Test-Cluster', 'emr-6.2.0', true], 'overrides over the connection extra');
    assert.deepEqual([request.Instances.Ec2SubnetId, request.LogUri], ['subnet-0123', 's3://emr-logs/']);
    const clusterId = await xcom('test_dag', r.runId, 'create_cluster_task');
    const start = sent('StartNotebookExecution').at(-1)!;
    assert.deepEqual([start.EditorId, start.RelativePath, start.ExecutionEngine, start.ServiceRole], ['e-NOTEBOOK1', vars.NOTEBOOK_FILE_NAME, { Id: clusterId, Type: 'EMR' }, 'EMR_Notebooks_DefaultRole']);
    assert.deepEqual(JSON.parse(start.NotebookParams), { CATEGORIES: ['Apparel', 'Automotive', 'Baby', 'Beauty', 'Books'], OUTPUT_LOCATION: 's3://query-output/', FROM_DATE: '2015-08-25', TO_DATE: '2015-08-31' });
    const executionId = await xcom('test_dag', r.runId, 'start_execution_task');
    assert.equal((await rendered('test_dag', r.runId, 'check_execution_task')).notebook_execution_id, executionId);
    const { emr } = clients();
    assert.equal((await emr.send(new DescribeClusterCommand({ ClusterId: clusterId }))).Cluster?.Status?.State, 'TERMINATED');
    emr.destroy();
  });

  test('mwaa_movielens_demo: EMR preprocessing in parallel, cluster stopped, state machine started with rendered input and monitored; a failed step still stops the cluster', async () => {
    const { sfn, emr } = clients();
    const machine = await sfn.send(new CreateStateMachineCommand({ name: 'mwaa-movielens-demo', roleArn: 'arn:aws:iam::123456789012:role/sfn', definition: JSON.stringify({ StartAt: 'Process Data', States: { 'Process Data': { Type: 'Pass', End: true } } }) }));
    emulator.sfnOutcomes.set('mwaa-movielens-demo', { status: 'SUCCEEDED', output: { crawler: 'SUCCEEDED', tables: ['most_popular_movies', 'top_rated_movies'] } });
    const vars = await importVariables('mwaa_movielens_variables.json', { movielens_state_machine_arn: machine.stateMachineArn! });
    await deploy('mwaa_movielens_demo.ts', 'mwaa_movielens_demo');
    const r = await run('mwaa_movielens_demo');
    assert.equal(r.state, 'success', JSON.stringify(r.tis));
    const executionArn = await xcom('mwaa_movielens_demo', r.runId, 'start_state_machine');
    assert.match(executionArn, /^arn:aws:states:us-east-1:123456789012:execution:mwaa-movielens-demo:/);
    assert.deepEqual(await xcom('mwaa_movielens_demo', r.runId, 'monitor_state_machine', 'output'), { crawler: 'SUCCEEDED', tables: ['most_popular_movies', 'top_rated_movies'] });
    const input = (await rendered('mwaa_movielens_demo', r.runId, 'start_state_machine')).input;
    assert.deepEqual(input, { input_path: `s3://${vars.movielens_bucket}/parquet/`, output_path: `s3://${vars.movielens_bucket}/curated/`, glue_database: 'mwaa-movielens-demo-db', run_id: r.runId });
    const clusterId = await xcom('mwaa_movielens_demo', r.runId, 'create_cluster');
    assert.equal((await emr.send(new DescribeClusterCommand({ ClusterId: clusterId }))).Cluster?.Status?.State, 'TERMINATED');
    const names = sent('AddJobFlowSteps').filter((b) => b.JobFlowId === clusterId).map((b) => b.Steps[0].Name).sort();
    assert.deepEqual(names, ['Load MovieLens data', 'Preprocess movies', 'Preprocess ratings', 'Preprocess tags']);

    emulator.failSteps.set('Preprocess ratings', { Reason: 'Unknown Error.', Message: 'ratings.csv: no such file', LogFile: 's3://logs/x' });
    try {
      const bad = await run('mwaa_movielens_demo');
      assert.equal(bad.state, 'failed');
      assert.deepEqual([bad.tis.preprocess_ratings, bad.tis.terminate_cluster, bad.tis.start_state_machine], ['failed', 'success', 'upstream_failed']);
      const badCluster = await xcom('mwaa_movielens_demo', bad.runId, 'create_cluster');
      assert.equal((await emr.send(new DescribeClusterCommand({ ClusterId: badCluster }))).Cluster?.Status?.State, 'TERMINATED', 'nothing the run created is left running');
    } finally {
      emulator.failSteps.clear();
      sfn.destroy();
      emr.destroy();
    }
  });

  test('get_env_vars, get_airflow_cfg, get_py_pkgs print the environment (AIRFLOW_CONN_AWS_DEFAULT=aws:// as on MWAA), updraft.cfg and the installed npm packages', async () => {
    fs.writeFileSync(path.join(s.config.home, 'updraft.cfg'), '[core]\n# The folder where your DAG files live\ndags_folder = /usr/local/updraft/dags\nparallelism = 32\n');
    for (const [file, dagId] of [['get_env_vars.ts', 'get_env_vars'], ['get_airflow_cfg.ts', 'get_airflow_cfg'], ['get_py_pkgs.ts', 'get_py_pkgs']]) await deploy(file, dagId);
    const env = await run('get_env_vars');
    assert.equal(env.state, 'success');
    const envLog = await log('get_env_vars', env.runId, 'get_env_vars_task');
    assert.match(envLog, /'AIRFLOW_CONN_AWS_DEFAULT': 'aws:\/\/'/);
    assert.match(envLog, /'AWS_REGION': 'us-east-1'/);
    const cfg = await run('get_airflow_cfg');
    assert.equal(cfg.state, 'success');
    assert.match(await log('get_airflow_cfg', cfg.runId, 'get_airflow_cfg_task'), /dags_folder = \/usr\/local\/updraft\/dags[\s\S]*parallelism = 32/);
    const pkgs = await run('get_py_pkgs');
    assert.equal(pkgs.state, 'success');
    const pkgLog = await log('get_py_pkgs', pkgs.runId, 'list_python_packages');
    assert.match(pkgLog, /Package\s+Version/);
    assert.match(pkgLog, /@aws-sdk\/client-emr\s+3\.\d+\.\d+/);
    assert.match(pkgLog, /@updraft\/provider-aws\s+0\.1\.0/);
  });

  test('retries follow the task\'s settings: an AWS error is tried again, and each try\'s log has the service\'s message', async () => {
    s.writeDag(
      'emr_retries.ts',
      `import { DAG } from '@updraft/sdk';
import { EmrAddStepsOperator } from '@updraft/provider-aws';
export default new DAG({ dag_id: 'emr_retries', schedule: null, start_date: '2024-01-01', default_args: { retries: 1, retry_delay: 0 } }, () => {
  new EmrAddStepsOperator({ task_id: 'add_steps', job_flow_id: 'j-DOESNOTEXIST', steps: [{ Name: 'x', HadoopJarStep: { Jar: 'command-runner.jar' } }] });
});
`,
    );
    await s.waitForDag('emr_retries', 30_000);
    const r = await run('emr_retries');
    assert.equal(r.state, 'failed');
    const ti = await api('GET', tiUrl('emr_retries', r.runId, 'add_steps'));
    assert.equal(ti.try_number, 2);
    for (const tryNumber of [1, 2]) {
      assert.match(await log('emr_retries', r.runId, 'add_steps', tryNumber), /An error occurred \(\w+\) when calling the AddJobFlowSteps operation/);
    }
  });

  test('missing credentials: a connection naming a profile that does not exist fails the task saying so', async () => {
    // task processes may be started ahead of time with the environment they had then, so the
    // credentials are taken away through the connection rather than the environment
    setEnv({ UPDRAFT_CONN_AWS_DEFAULT: JSON.stringify({ conn_type: 'aws', extra: { profile_name: 'no-such-profile', region_name: REGION, endpoint_url: emulator.endpoint } }) });
    try {
      const r = await run('spark_pi_example');
      assert.equal(r.state, 'failed');
      assert.equal(r.tis.create_job_flow, 'failed');
      assert.match(await log('spark_pi_example', r.runId, 'create_job_flow'), /CredentialsProviderError: .*no-such-profile/);
    } finally {
      setEnv({ UPDRAFT_CONN_AWS_DEFAULT: undefined });
    }
  });
});
