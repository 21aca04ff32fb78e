/**
 * test_dag — port of "Orchestrating analytics jobs on Amazon EMR Notebooks
 * using Amazon MWAA" (test_dag.py): create a cluster, wait until it is up
 * (a job-flow sensor subclass that treats WAITING/RUNNING as done), run the
 * find_best_sellers.ipynb notebook on it, wait for the execution (a sensor
 * subclassed from EmrBaseSensor), terminate the cluster.
 *
 * Variables come from airflow_variables/variables.json. The Python DAG read
 * them at the top of the file; here the operators read them as templates and
 * start_execution reads them when it runs (Updraft's DAG processor gives DAG
 * files no Variables).
 */
import { DescribeNotebookExecutionCommand, type DescribeNotebookExecutionCommandOutput } from '@aws-sdk/client-emr';
import { DAG, PythonOperator, Variable, type Context } from '@updraft/sdk';
import {
  EmrBaseSensor,
  type EmrBaseSensorOptions,
  EmrCreateJobFlowOperator,
  EmrHook,
  EmrJobFlowSensor,
  EmrTerminateJobFlowOperator,
} from '@updraft/provider-aws';

// Available categories:
//
// Apparel,Automotive,Baby,Beauty,Books,Camera,Digital_Ebook_Purchase,Digital_Music_Purchase,
// Digital_Software,Digital_Video_Download,Digital_Video_Games,Electronics,Furniture,Gift_Card,
// Grocery,Health_&_Personal_Care,Home,Home_Entertainment,Home_Improvement,Jewelry,Kitchen,
// Lawn_and_Garden,Luggage,Major_Appliances,Mobile_Apps,Mobile_Electronics,Music,Musical_Instruments,
// Office_Products,Outdoors,PC,Personal_Care_Appliances,Pet_Products,Shoes,Software,Sports,Tools,
// Toys,Video,Video_DVD,Video_Games,Watches,Wireless

const JOB_FLOW_OVERRIDES = {
  Name: 'Test-Cluster',
  ReleaseLabel: 'emr-6.2.0',
  Applications: [{ Name: 'Spark' }, { Name: 'Hive' }, { Name: 'Livy' }, { Name: 'JupyterEnterpriseGateway' }],
  Configurations: [
    {
      Classification: 'hive-site',
      Properties: { 'hive.execution.engine': 'spark' },
    },
  ],
  Instances: {
    Ec2SubnetId: '{{ var.value.SUBNET_ID }}',
    InstanceGroups: [
      { Name: 'Master node', Market: 'ON_DEMAND', InstanceRole: 'MASTER', InstanceType: 'm5.xlarge', InstanceCount: 1 },
      { Name: 'Core node', Market: 'ON_DEMAND', InstanceRole: 'CORE', InstanceType: 'm5.xlarge', InstanceCount: 2 },
    ],
    KeepJobFlowAliveWhenNoSteps: true,
    TerminationProtected: false,
  },
  JobFlowRole: 'EMR_EC2_DefaultRole',
  ServiceRole: 'EMR_DefaultRole',
  LogUri: '{{ var.value.EMR_LOG_URI }}',
};

class CustomEmrJobFlowSensor extends EmrJobFlowSensor {
  static override NON_TERMINAL_STATES = ['STARTING', 'BOOTSTRAPPING', 'TERMINATING'];
}

class NotebookExecutionSensor extends EmrBaseSensor<DescribeNotebookExecutionCommandOutput> {
  static override NON_TERMINAL_STATES = ['START_PENDING', 'STARTING', 'RUNNING', 'FINISHING', 'STOP_PENDING', 'STOPPING'];
  static override FAILED_STATE = ['FAILING', 'FAILED'];
  static template_fields = ['notebook_execution_id'];
  static template_ext: string[] = [];
  notebook_execution_id: string;

  constructor(options: EmrBaseSensorOptions & { notebook_execution_id: string }) {
    super(options);
    this.notebook_execution_id = options.notebook_execution_id;
  }

  async get_emr_response(context: Context) {
    const emr = await new EmrHook({ aws_conn_id: this.aws_conn_id }).get_conn();
    context.log.info(`Poking notebook execution ${this.notebook_execution_id}`);
    return emr.send(new DescribeNotebookExecutionCommand({ NotebookExecutionId: this.notebook_execution_id }));
  }

  state_from_response(response: DescribeNotebookExecutionCommandOutput): string {
    return response.NotebookExecution?.Status ?? 'UNKNOWN';
  }

  failure_message_from_response(response: DescribeNotebookExecutionCommandOutput): string | null {
    const state_change_reason = response.NotebookExecution?.LastStateChangeReason;
    if (state_change_reason) return 'Execution failed with reason: ' + state_change_reason;
    return null;
  }
}

async function start_execution(context: Context): Promise<string> {
  const ti = context.task_instance;
  const cluster_id = (await ti.xcom_pull({ key: 'return_value', task_ids: 'create_cluster_task' })) as string;
  context.log.info('Starting an execution using cluster: ' + cluster_id);
  const [NOTEBOOK_ID, NOTEBOOK_FILE_NAME, CATEGORIES_CSV, REGION, OUTPUT_LOCATION, FROM_DATE, TO_DATE] = await Promise.all(
    ['NOTEBOOK_ID', 'NOTEBOOK_FILE_NAME', 'CATEGORIES_CSV', 'REGION', 'OUTPUT_LOCATION', 'FROM_DATE', 'TO_DATE'].map((k) => Variable.get(k)),
  );
  // the notebook's parameters: {"CATEGORIES": [...], "OUTPUT_LOCATION": ..., "FROM_DATE": ..., "TO_DATE": ...}
  const parameters = JSON.stringify({ CATEGORIES: CATEGORIES_CSV.split(','), OUTPUT_LOCATION, FROM_DATE, TO_DATE });
  const emr = new EmrHook({ region_name: REGION });
  const execution_id = await emr.start_notebook_execution({
    EditorId: NOTEBOOK_ID,
    RelativePath: NOTEBOOK_FILE_NAME,
    ExecutionEngine: { Id: cluster_id, Type: 'EMR' },
    NotebookParams: parameters,
    ServiceRole: 'EMR_Notebooks_DefaultRole',
  });
  context.log.info('Started an execution: ' + execution_id);
  return execution_id;
}

export default new DAG(
  { dag_id: 'test_dag', description: 'test dag', schedule: '0 * * * *', start_date: '2020-03-30', catchup: false },
  () => {
    const create_cluster = new EmrCreateJobFlowOperator({
      task_id: 'create_cluster_task',
      job_flow_overrides: JOB_FLOW_OVERRIDES,
      aws_conn_id: 'aws_default',
      emr_conn_id: 'emr_default',
    });
    const cluster_sensor = new CustomEmrJobFlowSensor({
      task_id: 'check_cluster_task',
      job_flow_id: "{{ task_instance.xcom_pull(task_ids='create_cluster_task', key='return_value') }}",
      aws_conn_id: 'aws_default',
    });
    const start_execution_task = new PythonOperator({
      task_id: 'start_execution_task',
      python_callable: start_execution,
    });
    const execution_sensor = new NotebookExecutionSensor({
      task_id: 'check_execution_task',
      notebook_execution_id: "{{ task_instance.xcom_pull(task_ids='start_execution_task', key='return_value') }}",
      aws_conn_id: 'aws_default',
    });
    const cluster_remover = new EmrTerminateJobFlowOperator({
      task_id: 'terminate_cluster',
      job_flow_id: "{{ task_instance.xcom_pull(task_ids='create_cluster_task', key='return_value') }}",
      aws_conn_id: 'aws_default',
    });
    create_cluster.then(cluster_sensor).then(start_execution_task).then(execution_sensor).then(cluster_remover);
  },
);
