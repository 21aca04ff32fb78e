/**
 * spark_pi_example — port of "Running Spark Jobs on Amazon EMR with Apache
 * Airflow" (dags/spark_pi_example.py): a single-node EMR cluster that runs
 * Spark's SparkPi example as a step, watched by a step sensor. The cluster
 * ends by itself (KeepJobFlowAliveWhenNoSteps: false).
 */
import path from 'node:path';
import { DAG } from '@updraft/sdk';
import { EmrAddStepsOperator, EmrCreateJobFlowOperator, EmrStepSensor } from '@updraft/provider-aws';

const DAG_ID = path.basename(new URL(import.meta.url).pathname, '.ts');

const DEFAULT_ARGS = {
  owner: 'airflow',
  depends_on_past: false,
  email: ['airflow@example.com'],
  email_on_failure: false,
  email_on_retry: false,
};

const SPARK_STEPS = [
  {
    Name: 'calculate_pi',
    ActionOnFailure: 'CONTINUE',
    HadoopJarStep: {
      Jar: 'command-runner.jar',
      Args: ['/usr/lib/spark/bin/run-example', 'SparkPi', '10'],
    },
  },
];

const JOB_FLOW_OVERRIDES = {
  Name: 'demo-cluster-airflow',
  ReleaseLabel: 'emr-6.2.0',
  Applications: [{ Name: 'Spark' }],
  Instances: {
    InstanceGroups: [
      {
        Name: 'Master nodes',
        Market: 'ON_DEMAND',
        InstanceRole: 'MASTER',
        InstanceType: 'm5.xlarge',
        InstanceCount: 1,
      },
    ],
    KeepJobFlowAliveWhenNoSteps: false,
    TerminationProtected: false,
  },
  VisibleToAllUsers: true,
  JobFlowRole: 'EMR_EC2_DefaultRole',
  ServiceRole: 'EMR_DefaultRole',
  Tags: [
    { Key: 'Environment', Value: 'Development' },
    { Key: 'Name', Value: 'Airflow EMR Demo Project' },
    { Key: 'Owner', Value: 'Data Analytics Team' },
  ],
};

/** Airflow's days_ago(1): yesterday at midnight UTC. */
const yesterday = new Date(new Date().setUTCHours(0, 0, 0, 0) - 86_400_000);

export default new DAG(
  {
    dag_id: DAG_ID,
    description: 'Run built-in Spark app on Amazon EMR',
    default_args: DEFAULT_ARGS,
    dagrun_timeout: { hours: 2 },
    start_date: yesterday,
    schedule: '@once',
    tags: ['emr'],
  },
  () => {
    const cluster_creator = new EmrCreateJobFlowOperator({
      task_id: 'create_job_flow',
      job_flow_overrides: JOB_FLOW_OVERRIDES,
    });

    const step_adder = new EmrAddStepsOperator({
      task_id: 'add_steps',
      job_flow_id: "{{ task_instance.xcom_pull(task_ids='create_job_flow', key='return_value') }}",
      aws_conn_id: 'aws_default',
      steps: SPARK_STEPS,
    });

    const step_checker = new EmrStepSensor({
      task_id: 'watch_step',
      job_flow_id: "{{ task_instance.xcom_pull('create_job_flow', key='return_value') }}",
      step_id: "{{ task_instance.xcom_pull(task_ids='add_steps', key='return_value')[0] }}",
      aws_conn_id: 'aws_default',
    });

    cluster_creator.then(step_adder).then(step_checker);
  },
);
