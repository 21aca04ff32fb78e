/**
 * multiple_steps — port of "Running Spark Jobs on Amazon EMR with Apache
 * Airflow" (dags/multiple_steps.py): the cluster specification and the four
 * Spark steps live as JSON in the work bucket (job_flow_overrides/
 * job_flow_overrides.json, emr_steps/emr_steps.json), owned by other teams;
 * their {{ var.value.* }} templates are rendered when the tasks run, and the
 * steps run in parallel (StepConcurrencyLevel 5).
 *
 * Where it differs: Airflow read the two files with S3Hook while parsing the
 * DAG. Updraft's DAG processor gives DAG files no Variables and no
 * Connections, so this file reads them when it is imported by a task process
 * (which has both) and shows where they come from otherwise. The DAG's shape
 * does not depend on the files, only the two fields do.
 */
import path from 'node:path';
import { DAG, Variable, getTaskRuntime } from '@updraft/sdk';
import { EmrAddStepsOperator, EmrCreateJobFlowOperator, EmrStepSensor, S3Hook } from '@updraft/provider-aws';

const DAG_ID = path.basename(new URL(import.meta.url).pathname, '.ts');

const DEFAULT_ARGS = {
  owner: 'airflow',
  depends_on_past: false,
  email: ["{{ dag_run.conf['airflow_email'] }}"],
  email_on_failure: true,
  email_on_retry: true,
};

/** Load S3 object as JSON. */
async function get_object(key: string, bucket_name: string): Promise<unknown> {
  const hook = new S3Hook();
  return hook.read_json(key, bucket_name);
}

function inTaskProcess(): boolean {
  try {
    getTaskRuntime();
    return true;
  } catch {
    return false;
  }
}

const JOB_FLOW_OVERRIDES_KEY = 'job_flow_overrides/job_flow_overrides.json';
const EMR_STEPS_KEY = 'emr_steps/emr_steps.json';

let job_flow_overrides: Record<string, unknown> | string = `s3://{{ var.value.work_bucket }}/${JOB_FLOW_OVERRIDES_KEY} (read when the task runs)`;
let steps: Record<string, unknown>[] | string = `s3://{{ var.value.work_bucket }}/${EMR_STEPS_KEY} (read when the task runs)`;
if (inTaskProcess()) {
  const work_bucket = await Variable.get('work_bucket');
  job_flow_overrides = (await get_object(JOB_FLOW_OVERRIDES_KEY, work_bucket)) as Record<string, unknown>;
  steps = (await get_object(EMR_STEPS_KEY, work_bucket)) as Record<string, unknown>[];
}

const yesterday = new Date(new Date().setUTCHours(0, 0, 0, 0) - 86_400_000);

export default new DAG(
  {
    dag_id: DAG_ID,
    description: 'Run multiple Spark jobs with Amazon EMR',
    default_args: DEFAULT_ARGS,
    dagrun_timeout: { hours: 2 },
    start_date: yesterday,
    schedule: null,
    tags: ['emr', 'spark', 'pyspark'],
  },
  () => {
    const cluster_creator = new EmrCreateJobFlowOperator({
      task_id: 'create_job_flow',
      job_flow_overrides,
    });

    const step_adder = new EmrAddStepsOperator({
      task_id: 'add_steps',
      job_flow_id: "{{ task_instance.xcom_pull(task_ids='create_job_flow', key='return_value') }}",
      aws_conn_id: 'aws_default',
      steps,
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
