/**
 * bakery_sales — port of "Running Spark Jobs on Amazon EMR with Apache
 * Airflow" (dags/bakery_sales.py): a cluster of instance fleets runs the
 * bakery_sales_ssm.py PySpark job. Values come from Variables imported from
 * airflow_variables/admin_variables_bakery.json ({{ var.value.* }}) and from
 * the run's conf (airflow_variables/dag_run.conf_bakery.json).
 *
 * The Python DAG also read each Variable at the top of the file
 * (Variable.get) without using the results; Updraft's DAG processor reads no
 * Variables while parsing, and the templates below are what the tasks use.
 */
import path from 'node:path';
import { DAG } from '@updraft/sdk';
import { EmrAddStepsOperator, EmrCreateJobFlowOperator, EmrStepSensor } from '@updraft/provider-aws';

const DAG_ID = path.basename(new URL(import.meta.url).pathname, '.ts');

const DEFAULT_ARGS = {
  owner: 'airflow',
  depends_on_past: false,
  email: ["{{ dag_run.conf['airflow_email'] }}"],
  // the post passed lists of templates here; Python treats a non-empty list as true
  email_on_failure: true,
  email_on_retry: true,
};

const SPARK_STEPS = [
  {
    Name: 'Bakery Sales',
    ActionOnFailure: 'CONTINUE',
    HadoopJarStep: {
      Jar: 'command-runner.jar',
      Args: [
        'spark-submit',
        '--deploy-mode',
        'cluster',
        '--master',
        'yarn',
        '--conf',
        'spark.yarn.submit.waitAppCompletion=true',
        's3a://{{ var.value.work_bucket }}/analyze/bakery_sales_ssm.py',
      ],
    },
  },
];

const JOB_FLOW_OVERRIDES = {
  Name: 'demo-cluster-airflow',
  ReleaseLabel: '{{ var.value.release_label }}',
  LogUri: 's3n://{{ var.value.logs_bucket }}',
  Applications: [{ Name: 'Spark' }],
  Instances: {
    InstanceFleets: [
      {
        Name: 'MASTER',
        InstanceFleetType: 'MASTER',
        TargetSpotCapacity: 1,
        InstanceTypeConfigs: [{ InstanceType: 'm5.xlarge' }],
      },
      {
        Name: 'CORE',
        InstanceFleetType: 'CORE',
        TargetSpotCapacity: 2,
        InstanceTypeConfigs: [{ InstanceType: 'r5.xlarge' }],
      },
    ],
    KeepJobFlowAliveWhenNoSteps: false,
    TerminationProtected: false,
    Ec2KeyName: '{{ var.value.emr_ec2_key_pair }}',
  },
  BootstrapActions: [
    {
      Name: 'string',
      ScriptBootstrapAction: { Path: 's3://{{ var.value.bootstrap_bucket }}/bootstrap_actions.sh' },
    },
  ],
  Configurations: [
    {
      Classification: 'spark-hive-site',
      Properties: {
        'hive.metastore.client.factory.class': 'com.amazonaws.glue.catalog.metastore.AWSGlueDataCatalogHiveClientFactory',
      },
    },
  ],
  VisibleToAllUsers: true,
  JobFlowRole: '{{ var.value.job_flow_role }}',
  ServiceRole: '{{ var.value.service_role }}',
  EbsRootVolumeSize: 32,
  StepConcurrencyLevel: 1,
  Tags: [
    { Key: 'Environment', Value: 'Development' },
    { Key: 'Name', Value: 'Airflow EMR Demo Project' },
    { Key: 'Owner', Value: 'Data Analytics Team' },
  ],
};

const yesterday = new Date(new Date().setUTCHours(0, 0, 0, 0) - 86_400_000);

export default new DAG(
  {
    dag_id: DAG_ID,
    description: 'Analyze Bakery Sales with Amazon EMR',
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
