/**
 * EMR operators and sensors called directly against moto_server, with the
 * EMR emulator in front of it for what moto lacks (notebook executions, steps
 * that finish): see emr-emulator.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AirflowRescheduleException, TaskDeferred } from '@updraft/sdk';
import {
  EmrAddStepsOperator,
  EmrBaseSensor,
  EmrCreateJobFlowOperator,
  EmrHook,
  EmrJobFlowSensor,
  EmrModifyClusterOperator,
  EmrNotebookExecutionSensor,
  EmrStartNotebookExecutionOperator,
  EmrStateTrigger,
  EmrStepSensor,
  EmrTerminateJobFlowOperator,
  destroyClients,
} from '../src/index.ts';
import { type AwsEmulator, startAwsEmulator } from './aws-emulator.ts';
import { type Moto, awsConnection, installRuntime, motoMissing, startMoto, taskContext, useFakeAwsEnvironment } from './support.ts';

const skip = motoMissing();
let moto: Moto;
let emr: AwsEmulator;

const CLUSTER = {
  Name: 'demo-cluster-airflow',
  ReleaseLabel: 'emr-6.2.0',
  Applications: [{ Name: 'Spark' }],
  Instances: { InstanceGroups: [{ Name: 'Master nodes', Market: 'ON_DEMAND', InstanceRole: 'MASTER', InstanceType: 'm5.xlarge', InstanceCount: 1 }], KeepJobFlowAliveWhenNoSteps: true, TerminationProtected: false },
  JobFlowRole: 'EMR_EC2_DefaultRole',
  ServiceRole: 'EMR_DefaultRole',
};
const STEP = (name: string) => ({ Name: name, ActionOnFailure: 'CONTINUE', HadoopJarStep: { Jar: 'command-runner.jar', Args: ['spark-submit', 's3a://work/app.py'] } });

function runtime() {
  const r = installRuntime([
    awsConnection('aws_default', moto.endpoint, { service_config: { emr: { endpoint_url: emr.endpoint } } }),
    { ...awsConnection('emr_default', ''), conn_type: 'emr', login: null, password: null, extra: '{"VisibleToAllUsers": true, "Name": "from-connection", "LogUri": "s3://logs/"}', extra_dejson: { VisibleToAllUsers: true, Name: 'from-connection', LogUri: 's3://logs/' } },
  ]);
  return { r, ctx: taskContext(r) };
}

describe('EMR (moto_server + emulator for notebooks and step completion)', { skip }, () => {
  before(async () => {
    useFakeAwsEnvironment();
    moto = await startMoto();
    emr = await startAwsEmulator(moto.endpoint);
  });
  after(async () => {
    destroyClients();
    await emr?.close();
    await moto?.stop();
  });

  test('create job flow: overrides merged over emr_default extra, JSON text accepted, returns the id', async () => {
    const { ctx } = runtime();
    const id = await new EmrCreateJobFlowOperator({ task_id: 'c', job_flow_overrides: JSON.stringify(CLUSTER), wait_for_completion: true, waiter_delay: 0.05 }).execute(ctx);
    assert.match(id, /^j-[A-Z0-9]+$/);
    const sent = emr.requests.filter((x) => x.operation === 'RunJobFlow').at(-1)!.body;
    assert.equal(sent.Name, 'demo-cluster-airflow', 'the override wins');
    assert.equal(sent.LogUri, 's3://logs/', 'the connection extra is the base');
    const cluster = await new EmrHook().describe_cluster(id);
    assert.equal(cluster.Cluster?.Status?.State, 'WAITING');

    await assert.rejects(new EmrCreateJobFlowOperator({ task_id: 'bad', job_flow_overrides: '{not json' }).execute(ctx), /job_flow_overrides is text that is not JSON/);
  });

  test('add steps returns the step ids; EmrStepSensor completes, or fails with the step failure details', async () => {
    const { ctx } = runtime();
    const id = await new EmrCreateJobFlowOperator({ task_id: 'c', job_flow_overrides: CLUSTER, emr_conn_id: null }).execute(ctx);
    const ids = await new EmrAddStepsOperator({ task_id: 'a', job_flow_id: id, steps: [STEP('good'), STEP('bad')] }).execute(ctx);
    assert.equal(ids.length, 2);
    await new EmrStepSensor({ task_id: 's', job_flow_id: id, step_id: ids[0], poke_interval: 0.05 }).execute(ctx);
    emr.failSteps.set('bad', { Reason: 'Unknown Error.', Message: 'Exception in thread "main"', LogFile: 's3://logs/steps/s-1/stderr.gz' });
    await assert.rejects(
      new EmrStepSensor({ task_id: 's2', job_flow_id: id, step_id: ids[1], poke_interval: 0.05 }).execute(ctx),
      /EMR job failed for reason Unknown Error\. with message Exception in thread "main" and log file s3:\/\/logs\/steps\/s-1\/stderr\.gz/,
    );
    await new EmrCreateJobFlowOperator({ task_id: 'u', job_flow_overrides: { ...CLUSTER, Name: 'by-name' } }).execute(ctx);
    assert.equal((await new EmrAddStepsOperator({ task_id: 'n', job_flow_name: 'by-name', cluster_states: ['WAITING', 'RUNNING'], steps: [STEP('by-name')] }).execute(ctx)).length, 1);
    await assert.rejects(new EmrAddStepsOperator({ task_id: 'n2', job_flow_name: 'demo-cluster-airflow', cluster_states: ['WAITING', 'RUNNING'], steps: [STEP('x')] }).execute(ctx), /More than one cluster found for name demo-cluster-airflow/);
    await assert.rejects(new EmrAddStepsOperator({ task_id: 'n3', job_flow_name: 'nobody', steps: [STEP('x')] }).execute(ctx), /No cluster found for name: nobody/);
    // a missing cluster: the service's error code and message
    await assert.rejects(new EmrAddStepsOperator({ task_id: 'x', job_flow_id: 'j-NOPE', steps: [STEP('x')] }).execute(ctx), /An error occurred \(\w+\) when calling the AddJobFlowSteps operation/);
  });

  test('reschedule and deferrable modes of EmrStepSensor; EmrStateTrigger run against the emulator', async () => {
    const { ctx } = runtime();
    const id = await new EmrCreateJobFlowOperator({ task_id: 'c', job_flow_overrides: CLUSTER }).execute(ctx);
    const [stepId] = await new EmrAddStepsOperator({ task_id: 'a', job_flow_id: id, steps: [STEP('later')] }).execute(ctx);
    await assert.rejects(Promise.resolve(new EmrStepSensor({ task_id: 's', job_flow_id: id, step_id: stepId, mode: 'reschedule', poke_interval: 10 }).execute(ctx)), AirflowRescheduleException);
    const [step2] = await new EmrAddStepsOperator({ task_id: 'a2', job_flow_id: id, steps: [STEP('deferred')] }).execute(ctx);
    let deferred: TaskDeferred | null = null;
    try {
      await new EmrStepSensor({ task_id: 'd', job_flow_id: id, step_id: step2, deferrable: true, poke_interval: 0.05 }).execute(ctx);
    } catch (e) {
      deferred = e as TaskDeferred;
    }
    assert.ok(deferred instanceof TaskDeferred);
    const [classpath, kwargs] = deferred.trigger.serialize();
    assert.equal(classpath, '@updraft/provider-aws#EmrStateTrigger');
    for await (const event of new EmrStateTrigger(kwargs as never).run()) {
      assert.deepEqual(event.payload, { status: 'success', state: 'COMPLETED', job_flow_id: id });
      break;
    }
  });

  test('deferrable create job flow and add steps: EmrStateTrigger waits for the cluster, then for every step; execute_complete returns the XComs', async () => {
    const { ctx } = runtime();
    const deferred = async (op: { execute(c: typeof ctx): Promise<unknown> }) => {
      try {
        await op.execute(ctx);
      } catch (e) {
        if (e instanceof TaskDeferred) return e;
        throw e;
      }
      throw new Error('did not defer');
    };
    const create = new EmrCreateJobFlowOperator({ task_id: 'c', job_flow_overrides: CLUSTER, deferrable: true, waiter_delay: 0.05 });
    const d1 = await deferred(create);
    let event: unknown;
    for await (const e of new EmrStateTrigger(d1.trigger.serialize()[1] as never).run()) event = e.payload;
    const id = create.execute_complete(ctx, event);
    assert.match(id, /^j-/);
    const add = new EmrAddStepsOperator({ task_id: 'a', job_flow_id: id, steps: [STEP('one'), STEP('two')], deferrable: true, waiter_delay: 0.05 });
    const d2 = await deferred(add);
    for await (const e of new EmrStateTrigger(d2.trigger.serialize()[1] as never).run()) event = e.payload;
    const ids = add.execute_complete(ctx, event);
    assert.equal(ids.length, 2);
    assert.deepEqual(ids, (d2.trigger.serialize()[1] as { step_ids: string[] }).step_ids);

    emr.failSteps.set('three', { Reason: 'Boom', Message: 'bad jar', LogFile: 's3://l' });
    const failing = new EmrAddStepsOperator({ task_id: 'f', job_flow_id: id, steps: [STEP('three')], deferrable: true, waiter_delay: 0.05 });
    const d3 = await deferred(failing);
    for await (const e of new EmrStateTrigger(d3.trigger.serialize()[1] as never).run()) event = e.payload;
    assert.throws(() => failing.execute_complete(ctx, event), /EMR job failed for reason Boom with message bad jar/);
  });

  test('job flow sensor, 1.10-style subclass (the notebook post), modify and terminate', async () => {
    const { ctx } = runtime();
    const id = await new EmrCreateJobFlowOperator({ task_id: 'c', job_flow_overrides: CLUSTER }).execute(ctx);
    class CustomEmrJobFlowSensor extends EmrJobFlowSensor {
      static override NON_TERMINAL_STATES = ['STARTING', 'BOOTSTRAPPING', 'TERMINATING'];
    }
    assert.equal(await new CustomEmrJobFlowSensor({ task_id: 'w', job_flow_id: id }).poke(ctx), true, 'WAITING is done for the custom sensor');
    assert.equal(await new EmrJobFlowSensor({ task_id: 'j', job_flow_id: id }).poke(ctx), false, 'the stock sensor waits for TERMINATED');
    assert.equal(await new EmrModifyClusterOperator({ task_id: 'm', cluster_id: id, step_concurrency_level: '3' }).execute(ctx), 3);
    await new EmrTerminateJobFlowOperator({ task_id: 't', job_flow_id: id }).execute(ctx);
    assert.equal(await new EmrJobFlowSensor({ task_id: 'j2', job_flow_id: id }).poke(ctx), true);
    assert.ok(EmrBaseSensor.NON_TERMINAL_STATES === null);
  });

  test('notebook execution: start returns the id, the sensor follows it to FINISHED, a failure carries its reason', async () => {
    const { ctx } = runtime();
    const id = await new EmrCreateJobFlowOperator({ task_id: 'c', job_flow_overrides: CLUSTER }).execute(ctx);
    const start = (editor: string) =>
      new EmrStartNotebookExecutionOperator({ task_id: 'n', editor_id: editor, relative_path: 'find_best_sellers.ipynb', cluster_id: id, service_role: 'EMR_Notebooks_DefaultRole', notebook_params: '{"CATEGORIES": ["Books"]}' }).execute(ctx);
    const execId = await start('e-GOOD');
    assert.match(execId, /^ex-/);
    await new EmrNotebookExecutionSensor({ task_id: 's', notebook_execution_id: execId, poke_interval: 0.01 }).execute(ctx);
    const op = new EmrStartNotebookExecutionOperator({ task_id: 'nd', editor_id: 'e-GOOD', relative_path: 'x.ipynb', cluster_id: id, service_role: 'r', deferrable: true, waiter_delay: 0.01 });
    const deferred = await op.execute(ctx).then(() => null, (e: unknown) => e);
    assert.ok(deferred instanceof TaskDeferred);
    for await (const e of new EmrStateTrigger(deferred.trigger.serialize()[1] as never).run()) assert.match(op.execute_complete(ctx, e.payload), /^ex-/);
    emr.failNotebooks.set('e-BAD', 'Kernel died');
    const bad = await start('e-BAD');
    await assert.rejects(new EmrNotebookExecutionSensor({ task_id: 's2', notebook_execution_id: bad, poke_interval: 0.01 }).execute(ctx), /EMR job failed Execution failed with reason: Kernel died/);
  });
});
