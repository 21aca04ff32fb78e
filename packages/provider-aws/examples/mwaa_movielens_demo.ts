/**
 * mwaa_movielens_demo — port of "Building complex workflows with Amazon MWAA,
 * AWS Step Functions, AWS Glue, and Amazon EMR": create an EMR cluster, wait
 * until it is ready (WAITING), copy the MovieLens data in, convert movies,
 * ratings and tags to Parquet as three parallel EMR steps (each submitted and
 * monitored by EmrSubmitAndMonitorStepOperator, the post's custom operator),
 * stop the cluster, then start the Step Functions state machine that runs the
 * Glue job and crawler, and wait for it.
 *
 * The post's DAG code is not in the article; this follows its description.
 * The post created and waited for the cluster with PythonOperators calling
 * boto3; the provider's operators do the same here. The settings the
 * post kept in Systems Manager parameters are Variables
 * (airflow_variables/mwaa_movielens_variables.json). The cluster is
 * terminated even when a step fails (trigger_rule all_done), so a failed run
 * leaves nothing running.
 */
import { type BaseOperatorOptions, BaseOperator, type Context, DAG } from '@updraft/sdk';
import {
  EmrCreateJobFlowOperator,
  EmrHook,
  EmrJobFlowSensor,
  EmrTerminateJobFlowOperator,
  StepFunctionExecutionSensor,
  StepFunctionStartExecutionOperator,
} from '@updraft/provider-aws';

interface SubmitAndMonitorOptions extends BaseOperatorOptions {
  job_flow_id: string;
  step: Record<string, unknown>;
  aws_conn_id?: string;
  /** seconds between step checks */
  check_interval?: number;
}

/** The post's custom operator: adds one step to the cluster and waits for it; returns the step id. */
class EmrSubmitAndMonitorStepOperator extends BaseOperator {
  static template_fields = ['job_flow_id', 'step'];
  job_flow_id: string;
  step: Record<string, unknown>;
  aws_conn_id: string;
  check_interval: number;

  constructor(options: SubmitAndMonitorOptions) {
    super(options);
    this.job_flow_id = options.job_flow_id;
    this.step = options.step;
    this.aws_conn_id = options.aws_conn_id ?? 'aws_default';
    this.check_interval = options.check_interval ?? 30;
  }

  async execute(context: Context): Promise<string> {
    const emr = new EmrHook({ aws_conn_id: this.aws_conn_id });
    const [step_id] = await emr.add_job_flow_steps(this.job_flow_id, [this.step]);
    context.log.info(`Submitted step ${step_id} (${String(this.step.Name)}) to ${this.job_flow_id}`);
    for (;;) {
      const status = (await emr.describe_step(this.job_flow_id, step_id)).Step?.Status;
      context.log.info(`Step ${step_id} is ${status?.State}`);
      if (status?.State === 'COMPLETED') return step_id;
      if (['CANCELLED', 'FAILED', 'INTERRUPTED'].includes(status?.State ?? '')) {
        throw new Error(`Step ${step_id} ended ${status?.State}: ${status?.FailureDetails?.Message ?? status?.FailureDetails?.Reason ?? 'no details'}`);
      }
      await new Promise((resolve) => setTimeout(resolve, this.check_interval * 1000));
    }
  }
}

const CLUSTER_ID = "{{ task_instance.xcom_pull(task_ids='create_cluster', key='return_value') }}";

const JOB_FLOW_OVERRIDES = {
  Name: 'mwaa-movielens-demo-cluster',
  ReleaseLabel: 'emr-6.2.0',
  LogUri: '{{ var.value.movielens_log_uri }}',
  Applications: [{ Name: 'Spark' }, { Name: 'Hadoop' }],
  Instances: {
    InstanceGroups: [
      { Name: 'Master nodes', Market: 'ON_DEMAND', InstanceRole: 'MASTER', InstanceType: 'm5.xlarge', InstanceCount: 1 },
      { Name: 'Core nodes', Market: 'ON_DEMAND', InstanceRole: 'CORE', InstanceType: 'm5.xlarge', InstanceCount: 2 },
    ],
    KeepJobFlowAliveWhenNoSteps: true,
    TerminationProtected: false,
  },
  StepConcurrencyLevel: 3,
  JobFlowRole: 'EMR_EC2_DefaultRole',
  ServiceRole: 'EMR_DefaultRole',
  VisibleToAllUsers: true,
};

function sparkStep(name: string, dataset: string): Record<string, unknown> {
  return {
    Name: name,
    ActionOnFailure: 'CONTINUE',
    HadoopJarStep: {
      Jar: 'command-runner.jar',
      Args: [
        'spark-submit', '--deploy-mode', 'cluster',
        's3://{{ var.value.movielens_bucket }}/scripts/preprocess_movielens.py',
        '--input', `s3://{{ var.value.movielens_bucket }}/raw/${dataset}.csv`,
        '--output', `s3://{{ var.value.movielens_bucket }}/parquet/${dataset}/`,
      ],
    },
  };
}

export default new DAG(
  {
    dag_id: 'mwaa_movielens_demo',
    description: 'MovieLens ETL: EMR preprocessing, then a Step Functions state machine running Glue',
    schedule: null,
    start_date: '2021-01-01',
    catchup: false,
    max_active_tasks: 3,
    tags: ['emr', 'stepfunctions', 'glue'],
  },
  () => {
    const create_cluster = new EmrCreateJobFlowOperator({ task_id: 'create_cluster', job_flow_overrides: JOB_FLOW_OVERRIDES });
    const wait_for_cluster = new EmrJobFlowSensor({
      task_id: 'wait_for_cluster',
      job_flow_id: CLUSTER_ID,
      target_states: ['WAITING'],
      failed_states: ['TERMINATED', 'TERMINATED_WITH_ERRORS'],
      poke_interval: 30,
    });
    const load_data = new EmrSubmitAndMonitorStepOperator({
      task_id: 'load_data',
      job_flow_id: CLUSTER_ID,
      step: {
        Name: 'Load MovieLens data',
        ActionOnFailure: 'CONTINUE',
        HadoopJarStep: { Jar: 'command-runner.jar', Args: ['s3-dist-cp', '--src', '{{ var.value.movielens_source_path }}', '--dest', 's3://{{ var.value.movielens_bucket }}/raw/'] },
      },
    });
    const preprocess = [
      new EmrSubmitAndMonitorStepOperator({ task_id: 'preprocess_movies', job_flow_id: CLUSTER_ID, step: sparkStep('Preprocess movies', 'movies') }),
      new EmrSubmitAndMonitorStepOperator({ task_id: 'preprocess_ratings', job_flow_id: CLUSTER_ID, step: sparkStep('Preprocess ratings', 'ratings') }),
      new EmrSubmitAndMonitorStepOperator({ task_id: 'preprocess_tags', job_flow_id: CLUSTER_ID, step: sparkStep('Preprocess tags', 'tags') }),
    ];
    const terminate_cluster = new EmrTerminateJobFlowOperator({ task_id: 'terminate_cluster', job_flow_id: CLUSTER_ID, trigger_rule: 'all_done' });
    const start_state_machine = new StepFunctionStartExecutionOperator({
      task_id: 'start_state_machine',
      state_machine_arn: '{{ var.value.movielens_state_machine_arn }}',
      state_machine_input: {
        input_path: 's3://{{ var.value.movielens_bucket }}/parquet/',
        output_path: 's3://{{ var.value.movielens_bucket }}/curated/',
        glue_database: '{{ var.value.movielens_glue_database }}',
        run_id: '{{ run_id }}',
      },
    });
    const monitor_state_machine = new StepFunctionExecutionSensor({
      task_id: 'monitor_state_machine',
      execution_arn: "{{ task_instance.xcom_pull(task_ids='start_state_machine', key='return_value') }}",
      poke_interval: 30,
    });

    create_cluster.then(wait_for_cluster).then(load_data).then(preprocess);
    terminate_cluster.setUpstream(preprocess);
    // the state machine reads what the steps wrote: it starts only when they all succeeded
    start_state_machine.setUpstream([...preprocess, terminate_cluster]);
    start_state_machine.then(monitor_state_machine);
  },
);
