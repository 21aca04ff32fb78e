/** EmrHook: job flows (clusters), steps and notebook executions through the AWS SDK v3 EMR client. */
import {
  AddJobFlowStepsCommand,
  DescribeClusterCommand,
  type DescribeClusterCommandOutput,
  DescribeNotebookExecutionCommand,
  type DescribeNotebookExecutionCommandOutput,
  DescribeStepCommand,
  type DescribeStepCommandOutput,
  EMRClient,
  ListClustersCommand,
  ModifyClusterCommand,
  RunJobFlowCommand,
  type RunJobFlowCommandInput,
  StartNotebookExecutionCommand,
  type StartNotebookExecutionCommandInput,
  type StepConfig,
  TerminateJobFlowsCommand,
  type ClusterState,
} from '@aws-sdk/client-emr';
import { AirflowException, AirflowNotFoundException, Connection, type TaskLogger } from '@updraft/sdk';
import { AwsBaseHook, type AwsHookOptions } from './base-aws.ts';

export interface EmrHookOptions extends AwsHookOptions {
  /** the `emr` connection whose extra is the base RunJobFlow request (null: none) */
  emr_conn_id?: string | null;
}

export class EmrHook extends AwsBaseHook<EMRClient> {
  readonly emr_conn_id: string | null;

  constructor(options: EmrHookOptions = {}) {
    super(EMRClient, 'emr', options);
    this.emr_conn_id = options.emr_conn_id === undefined ? 'emr_default' : options.emr_conn_id;
  }

  /**
   * RunJobFlow with the emr connection's extra as the base request and
   * `job_flow_overrides` over it (top-level keys replaced, as Airflow's
   * dict.update does). A missing emr connection only warns.
   */
  async create_job_flow(job_flow_overrides: Record<string, unknown>, log?: TaskLogger): Promise<string> {
    let base: Record<string, unknown> = {};
    if (this.emr_conn_id) {
      try {
        base = { ...(await Connection.get(this.emr_conn_id)).extra_dejson };
      } catch (error) {
        if (!(error instanceof AirflowNotFoundException)) throw error;
        log?.warning(
          `Unable to find Amazon Elastic MapReduce Connection ID '${this.emr_conn_id}', using an empty initial configuration. ` +
            'If you want to get rid of this warning message please provide a valid `emr_conn_id` or set it to null.',
        );
      }
    }
    const request = { ...base, ...job_flow_overrides } as unknown as RunJobFlowCommandInput;
    const emr = await this.get_conn();
    const response = await emr.send(new RunJobFlowCommand(request));
    if (!response.JobFlowId) throw new AirflowException(`Job flow creation failed: ${JSON.stringify(response)}`);
    return response.JobFlowId;
  }

  /** Steps as StepConfig objects (plain objects as the posts write them are accepted too). */
  async add_job_flow_steps(job_flow_id: string, steps: StepConfig[] | Record<string, unknown>[], execution_role_arn: string | null = null): Promise<string[]> {
    const emr = await this.get_conn();
    const response = await emr.send(
      new AddJobFlowStepsCommand({ JobFlowId: job_flow_id, Steps: steps as StepConfig[], ...(execution_role_arn ? { ExecutionRoleArn: execution_role_arn } : {}) }),
    );
    if (!response.StepIds) throw new AirflowException(`Adding steps failed: ${JSON.stringify(response)}`);
    return response.StepIds;
  }

  /** The id of the one cluster with this name in one of `cluster_states`; none or several is an error. */
  async get_cluster_id_by_name(name: string, cluster_states: string[]): Promise<string | null> {
    const emr = await this.get_conn();
    const matches: string[] = [];
    let marker: string | undefined;
    do {
      const page = await emr.send(new ListClustersCommand({ ClusterStates: cluster_states as ClusterState[], Marker: marker }));
      for (const c of page.Clusters ?? []) if (c.Name === name && c.Id) matches.push(c.Id);
      marker = page.Marker;
    } while (marker);
    if (matches.length > 1) throw new AirflowException(`More than one cluster found for name ${name}`);
    return matches[0] ?? null;
  }

  async describe_cluster(cluster_id: string): Promise<DescribeClusterCommandOutput> {
    return (await this.get_conn()).send(new DescribeClusterCommand({ ClusterId: cluster_id }));
  }

  async describe_step(cluster_id: string, step_id: string): Promise<DescribeStepCommandOutput> {
    return (await this.get_conn()).send(new DescribeStepCommand({ ClusterId: cluster_id, StepId: step_id }));
  }

  async terminate_job_flow(job_flow_id: string): Promise<void> {
    await (await this.get_conn()).send(new TerminateJobFlowsCommand({ JobFlowIds: [job_flow_id] }));
  }

  async modify_cluster(cluster_id: string, step_concurrency_level: number): Promise<number | undefined> {
    const out = await (await this.get_conn()).send(new ModifyClusterCommand({ ClusterId: cluster_id, StepConcurrencyLevel: step_concurrency_level }));
    return out.StepConcurrencyLevel;
  }

  async start_notebook_execution(input: StartNotebookExecutionCommandInput): Promise<string> {
    const out = await (await this.get_conn()).send(new StartNotebookExecutionCommand(input));
    if (!out.NotebookExecutionId) throw new AirflowException(`Starting notebook execution failed: ${JSON.stringify(out)}`);
    return out.NotebookExecutionId;
  }

  async describe_notebook_execution(notebook_execution_id: string): Promise<DescribeNotebookExecutionCommandOutput> {
    return (await this.get_conn()).send(new DescribeNotebookExecutionCommand({ NotebookExecutionId: notebook_execution_id }));
  }
}

/** Why a step failed, as Airflow's EmrStepSensor words it. */
export function stepFailureMessage(response: DescribeStepCommandOutput): string | null {
  const details = response.Step?.Status?.FailureDetails;
  if (!details) return null;
  return `for reason ${details.Reason ?? null} with message ${details.Message ?? null} and log file ${details.LogFile ?? null}`;
}

/** Why a cluster ended, as Airflow's EmrJobFlowSensor words it. */
export function clusterFailureMessage(response: DescribeClusterCommandOutput): string | null {
  const reason = response.Cluster?.Status?.StateChangeReason;
  if (!reason) return null;
  return `for code: ${reason.Code ?? null} with message ${reason.Message ?? null}`;
}

/** Why a notebook execution failed. */
export function notebookFailureMessage(response: DescribeNotebookExecutionCommandOutput): string | null {
  const reason = response.NotebookExecution?.LastStateChangeReason;
  return reason ? `Execution failed with reason: ${reason}` : null;
}
