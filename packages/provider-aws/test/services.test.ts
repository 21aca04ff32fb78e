/**
 * Athena, Step Functions, Glue, Redshift Data, Lambda, SNS and SQS operators
 * and sensors against moto_server (moto's state manager moves Glue job runs
 * and crawls; Lambda runs without Docker in moto's simple mode). Athena
 * failures and the end of Step Functions executions come from the emulator
 * in front of moto (aws-emulator.ts): moto's Athena always succeeds and its
 * executions never end.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CreateStateMachineCommand } from '@aws-sdk/client-sfn';
import { CreateFunctionCommand } from '@aws-sdk/client-lambda';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { CreateJobCommand } from '@aws-sdk/client-glue';
import { TaskDeferred } from '@updraft/sdk';
import {
  AthenaOperator,
  AthenaSensor,
  AthenaTrigger,
  GlueCrawlerOperator,
  GlueJobOperator,
  GlueJobSensor,
  LambdaInvokeFunctionOperator,
  RedshiftDataOperator,
  RedshiftDataStatementSensor,
  S3Hook,
  SnsPublishOperator,
  SqsPublishOperator,
  SqsSensor,
  StepFunctionExecutionSensor,
  StepFunctionGetExecutionOutputOperator,
  StepFunctionStartExecutionOperator,
  GlueJobCompleteTrigger,
  GlueJobHook,
  LambdaHook,
  RedshiftDataTrigger,
  StepFunctionsExecutionCompleteTrigger,
  SnsHook,
  SqsHook,
  StepFunctionHook,
  destroyClients,
} from '../src/index.ts';
import { type AwsEmulator, startAwsEmulator } from './aws-emulator.ts';
import { type Moto, awsConnection, installRuntime, motoMissing, startMoto, taskContext, useFakeAwsEnvironment } from './support.ts';

const skip = motoMissing();
let moto: Moto;
let emulator: AwsEmulator;
const ROLE = 'arn:aws:iam::123456789012:role/service-role';

/** IAM has no SDK client among the project's dependencies: moto's query API called directly, as the AWS CLI would. */
async function createIamRole(endpoint: string, name: string): Promise<void> {
  const body = new URLSearchParams({ Action: 'CreateRole', Version: '2010-05-08', RoleName: name, AssumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[]}' });
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0' },
    body,
  });
  if (!res.ok) throw new Error(`CreateRole answered ${res.status}: ${await res.text()}`);
}

async function firstEvent(trigger: { run(): AsyncIterable<{ payload: unknown }> }): Promise<unknown> {
  for await (const event of trigger.run()) return event.payload;
  return undefined;
}

function setup() {
  const runtime = installRuntime([awsConnection('aws_default', moto.endpoint, { service_config: { athena: { endpoint_url: emulator.endpoint }, stepfunctions: { endpoint_url: emulator.endpoint }, 'redshift-data': { endpoint_url: emulator.endpoint } } })]);
  return { runtime, ctx: taskContext(runtime) };
}


describe('Athena, Step Functions, Glue, Redshift Data, Lambda, SNS, SQS (moto_server)', { skip, timeout: 60_000 }, () => {
  before(async () => {
    useFakeAwsEnvironment();
    moto = await startMoto();
    emulator = await startAwsEmulator(moto.endpoint);
    await moto.setConfig({ lambda: { use_docker: false } });
    // moto's crawls otherwise stay RUNNING until something advances them
    await moto.setTransition('glue::crawl', { progression: 'immediate' });
  });
  after(async () => {
    destroyClients();
    await emulator?.close();
    await moto?.stop();
  });

  test('AthenaOperator returns the query execution id; a failed query fails with Athena\'s reason; AthenaSensor; deferrable with AthenaTrigger', async () => {
    const { ctx } = setup();
    const id = await new AthenaOperator({ task_id: 'q', query: 'SELECT 1', database: 'demo', output_location: 's3://results/q/', sleep_time: 0.05 }).execute(ctx);
    assert.match(id, /^[0-9a-f-]{36}$/);
    const sent = emulator.requests.find((r) => r.operation === 'StartQueryExecution')!.body;
    assert.deepEqual([sent.QueryExecutionContext, sent.ResultConfiguration, sent.WorkGroup], [{ Database: 'demo' }, { OutputLocation: 's3://results/q/' }, 'primary']);
    assert.equal(await new AthenaSensor({ task_id: 's', query_execution_id: id }).poke(ctx), true);

    emulator.athenaFailures.push({ match: /FROM missing_table/, reason: "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.demo.missing_table' does not exist" });
    await assert.rejects(
      new AthenaOperator({ task_id: 'bad', query: 'SELECT * FROM missing_table', database: 'demo', output_location: 's3://results/q/', sleep_time: 0.05 }).execute(ctx),
      /Final state of Athena job is FAILED, query_execution_id is [0-9a-f-]{36}\. Error: TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog\.demo\.missing_table' does not exist/,
    );
    let deferred: TaskDeferred | null = null;
    try {
      await new AthenaOperator({ task_id: 'd', query: 'SELECT 2', database: 'demo', output_location: 's3://results/q/', deferrable: true, sleep_time: 0.05 }).execute(ctx);
    } catch (e) {
      deferred = e as TaskDeferred;
    }
    assert.ok(deferred instanceof TaskDeferred);
    const [path, kwargs] = deferred.trigger.serialize();
    assert.equal(path, '@updraft/provider-aws#AthenaTrigger');
    for await (const event of new AthenaTrigger(kwargs as never).run()) {
      assert.equal((event.payload as { status: string }).status, 'success');
      assert.equal(new AthenaOperator({ task_id: 'x', query: 'q' }).execute_complete(ctx, event.payload), kwargs.query_execution_id);
      break;
    }
  });

  test('Step Functions: start returns the execution ARN; the sensor pushes the output; get output parses it', async () => {
    const { ctx, runtime } = setup();
    const sfn = await new StepFunctionHook().get_conn();
    emulator.sfnOutcomes.set('movielens', { status: 'SUCCEEDED', output: { tables: ['most_popular_movies', 'top_rated_movies'] } });
    emulator.sfnOutcomes.set('broken', { status: 'FAILED', error: 'GlueJobFailed', cause: 'preprocessing failed' });
    const machine = await sfn.send(new CreateStateMachineCommand({
      name: 'movielens',
      roleArn: ROLE,
      definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Pass', Result: { tables: ['most_popular_movies', 'top_rated_movies'] }, End: true } } }),
    }));
    const arn = await new StepFunctionStartExecutionOperator({ task_id: 'start', state_machine_arn: machine.stateMachineArn!, state_machine_input: { run: 'x' } }).execute(ctx);
    assert.match(arn, /^arn:aws:states:us-east-1:123456789012:execution:movielens:/);
    await new StepFunctionExecutionSensor({ task_id: 'watch', execution_arn: arn, poke_interval: 0.1, timeout: 20 }).execute(ctx);
    assert.deepEqual(runtime.xcoms.output, { tables: ['most_popular_movies', 'top_rated_movies'] });
    assert.deepEqual(await new StepFunctionGetExecutionOutputOperator({ task_id: 'out', execution_arn: arn }).execute(ctx), { tables: ['most_popular_movies', 'top_rated_movies'] });
    const second = await new StepFunctionStartExecutionOperator({ task_id: 'start3', state_machine_arn: machine.stateMachineArn! }).execute(ctx);
    assert.deepEqual(await firstEvent(new StepFunctionsExecutionCompleteTrigger({ execution_arn: second, poke_interval: 0.05 })), { status: 'success', execution_arn: second, output: JSON.stringify({ tables: ['most_popular_movies', 'top_rated_movies'] }) });

    const failing = await sfn.send(new CreateStateMachineCommand({ name: 'broken', roleArn: ROLE, definition: JSON.stringify({ StartAt: 'Boom', States: { Boom: { Type: 'Fail', Error: 'GlueJobFailed', Cause: 'preprocessing failed' } } }) }));
    const failedArn = await new StepFunctionStartExecutionOperator({ task_id: 'start2', state_machine_arn: failing.stateMachineArn! }).execute(ctx);
    await assert.rejects(new StepFunctionExecutionSensor({ task_id: 'watch2', execution_arn: failedArn, poke_interval: 0.1, timeout: 20 }).execute(ctx), /Step Function sensor failed.*Error: GlueJobFailed\. Cause: preprocessing failed/);
  });

  test('Glue: job created from script_location, run id returned, sensor; crawler created and run', async () => {
    const { ctx } = setup();
    const runId = await new GlueJobOperator({ task_id: 'g', job_name: 'movielens_etl', script_location: 's3://scripts/etl.py', iam_role_name: 'GlueRole', script_args: { '--input': 's3://in/' }, job_poll_interval: 0.05 }).execute(ctx);
    assert.match(runId, /^jr_/);
    assert.equal(await new GlueJobSensor({ task_id: 'gs', job_name: 'movielens_etl', run_id: runId }).poke(ctx), true);
    assert.deepEqual(await firstEvent(new GlueJobCompleteTrigger({ job_name: 'movielens_etl', run_id: runId })), { status: 'success', value: runId });
    const glue = await new GlueJobHook().get_conn();
    await glue.send(new CreateJobCommand({ Name: 'existing', Role: 'GlueRole', Command: { Name: 'glueetl', ScriptLocation: 's3://scripts/x.py' } }));
    assert.match(await new GlueJobOperator({ task_id: 'g2', job_name: 'existing', wait_for_completion: false }).execute(ctx), /^jr_/);
    await assert.rejects(new GlueJobOperator({ task_id: 'g3', job_name: 'nope' }).execute(ctx), /An error occurred \(EntityNotFoundException\) when calling the GetJob operation/);
    const name = await new GlueCrawlerOperator({ task_id: 'c', config: { Name: 'movielens', Role: 'GlueRole', DatabaseName: 'mwaa-movielens-demo-db', Targets: { S3Targets: [{ Path: 's3://out/' }] } }, poll_interval: 0.05 }).execute(ctx);
    assert.equal(name, 'movielens');
  });

  test('Redshift Data: statement id returned without waiting; the sensor sees it not finished (moto keeps statements STARTED)', async () => {
    const { ctx } = setup();
    const id = await new RedshiftDataOperator({ task_id: 'r', cluster_identifier: 'redshift-cluster-1', database: 'dev', db_user: 'awsuser', sql: 'CREATE TABLE IF NOT EXISTS movie_demo (title varchar, rating int);', wait_for_completion: false }).execute(ctx);
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.equal(await new RedshiftDataStatementSensor({ task_id: 'rs', statement_id: id }).poke(ctx), false);
    assert.deepEqual(await firstEvent(new RedshiftDataTrigger({ statement_id: id, poke_interval: 0.01, max_attempts: 2 })), { status: 'error', message: 'RedshiftDataTrigger: not done after 2 attempts' });
    assert.throws(() => new RedshiftDataOperator({ task_id: 'bad', database: 'dev', sql: 'x' }), /exactly one of cluster_identifier and workgroup_name/);
  });

  test('Lambda invoke returns the payload; SNS publish returns the message id; SQS publish and sensor', async () => {
    const { ctx, runtime } = setup();
    await createIamRole(moto.endpoint, 'service-role');
    const lambda = await new LambdaHook().get_conn();
    await lambda.send(new CreateFunctionCommand({ FunctionName: 'notify', Runtime: 'python3.12', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: Buffer.from('UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==', 'base64') } }));
    const payload = await new LambdaInvokeFunctionOperator({ task_id: 'l', function_name: 'notify', payload: '{"movies": 10}' }).execute(ctx);
    assert.equal(payload, '{"movies": 10}', 'moto without Docker answers with the event it got');
    assert.equal(emulator.requests.length > 0, true);
    const sns = await new SnsHook().get_conn();
    const topic = await sns.send(new CreateTopicCommand({ Name: 'done' }));
    assert.match((await new SnsPublishOperator({ task_id: 'n', target_arn: topic.TopicArn!, message: 'movielens done', subject: 'ETL' }).execute(ctx))!, /^[0-9a-f-]{36}$/);
    const sqs = await new SqsHook().get_conn();
    const queue = (await sqs.send(new CreateQueueCommand({ QueueName: 'events' }))).QueueUrl!;
    const sent = await new SqsPublishOperator({ task_id: 'p', sqs_queue: queue, message_content: '{"table": "ratings"}' }).execute(ctx);
    assert.ok(sent.MessageId);
    assert.equal(await new SqsSensor({ task_id: 'w', sqs_queue: queue, message_filtering: 'jsonpath', message_filtering_config: 'table', message_filtering_match_values: ['movies'], delete_message_on_reception: false, visibility_timeout: 0 }).poke(ctx), false);
    assert.equal(await new SqsSensor({ task_id: 'w2', sqs_queue: queue, wait_time_seconds: 0 }).poke(ctx), true);
    assert.deepEqual((runtime.xcoms.messages as { Body: string }[]).map((m) => m.Body), ['{"table": "ratings"}']);
    assert.ok(new S3Hook());
  });
});
