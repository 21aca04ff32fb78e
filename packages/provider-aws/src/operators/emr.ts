/**
 * EMR operators: create a job flow (cluster), add steps, terminate, modify,
 * start a notebook execution. Arguments, template fields and return values
 * (the XComs) are Airflow's: the job flow id, the list of step ids, the
 * notebook execution id, the new step concurrency level.
 */
import type { StepConfig, Tag } from '@aws-sdk/client-emr';
import { AirflowException, type BaseOperatorOptions, type Context, isFailurePayload, withDefaultArgs } from '@updraft/sdk';
import type { AwsOptions } from '../aws-options.ts';
import { AwsBaseOperator } from './aws-base.ts';
import { EmrHook, clusterFailureMessage, notebookFailureMessage, stepFailureMessage } from '../hooks/emr.ts';
import { jsonField } from '../json-field.ts';
import { EmrStateTrigger } from '../triggers/emr.ts';
import { waitForState } from '../waiter.ts';

interface WaitArgs {
  wait_for_completion?: boolean;
  /** wait in the triggerer instead of in the worker (implies waiting) */
  deferrable?: boolean;
  /** seconds between checks while waiting */
  waiter_delay?: number;
  waiter_max_attempts?: number;
}

abstract class EmrBaseOperator extends AwsBaseOperator {
  protected hook(extra: { emr_conn_id?: string | null } = {}): EmrHook {
    return new EmrHook({ ...this.hook_params, ...extra });
  }

  /** Resumes after EmrStateTrigger fired: an error event fails the task; `pick` gives the XCom from the event. */
  protected resume(event: unknown, pick: (payload: Record<string, unknown>) => unknown): unknown {
    if (isFailurePayload(event)) throw new AirflowException(event.message ?? 'EMR trigger failed');
    return pick(event as Record<string, unknown>);
  }
}

export interface EmrCreateJobFlowOptions extends BaseOperatorOptions, AwsOptions, WaitArgs {
  /** the RunJobFlow request (or JSON text / a .json template file), merged over the emr connection's extra */
  job_flow_overrides?: Record<string, unknown> | string | null;
  emr_conn_id?: string | null;
}

export class EmrCreateJobFlowOperator extends EmrBaseOperator {
  static template_fields = ['job_flow_overrides'];
  static template_ext = ['.json'];
  job_flow_overrides: Record<string, unknown> | string;
  emr_conn_id: string | null;
  wait_for_completion: boolean;
  deferrable: boolean;
  waiter_delay: number;
  waiter_max_attempts: number;

  constructor(options: EmrCreateJobFlowOptions) {
    const args = withDefaultArgs(options);
    super(args);
    this.job_flow_overrides = args.job_flow_overrides ?? {};
    this.emr_conn_id = args.emr_conn_id === undefined ? 'emr_default' : args.emr_conn_id;
    this.wait_for_completion = args.wait_for_completion ?? false;
    this.deferrable = args.deferrable ?? false;
    this.waiter_delay = args.waiter_delay ?? 60;
    this.waiter_max_attempts = args.waiter_max_attempts ?? 60;
  }

  async execute(context: Context): Promise<string> {
    const overrides = jsonField<Record<string, unknown>>(this.job_flow_overrides, 'job_flow_overrides', this.task_id);
    const hook = this.hook({ emr_conn_id: this.emr_conn_id });
    context.log.info(`Creating job flow using aws_conn_id: ${this.aws_conn_id}, emr_conn_id: ${this.emr_conn_id}`);
    const id = await hook.create_job_flow(overrides, context.log);
    context.log.info(`Job flow with id ${id} created`);
    if (this.deferrable) {
      this.defer({
        trigger: new EmrStateTrigger({
          resource: 'cluster', job_flow_id: id, target_states: ['WAITING', 'RUNNING'], failed_states: ['TERMINATING', 'TERMINATED', 'TERMINATED_WITH_ERRORS'],
          ...this.hook_params, poke_interval: this.waiter_delay, max_attempts: this.waiter_max_attempts,
        }),
        method_name: 'execute_complete',
      });
    }
    if (this.wait_for_completion) {
      await waitForState({
        what: `EMR job flow ${id}`,
        poll: async () => {
          const r = await hook.describe_cluster(id);
          return { state: r.Cluster?.Status?.State ?? 'UNKNOWN', reason: clusterFailureMessage(r) };
        },
        success: ['WAITING', 'RUNNING'],
        failure: ['TERMINATING', 'TERMINATED', 'TERMINATED_WITH_ERRORS'],
        delay: this.waiter_delay,
        max_attempts: this.waiter_max_attempts,
        log: context.log,
        signal: context.signal,
      });
    }
    return id;
  }

  /** Returns the job flow id once the cluster is up (deferrable). */
  execute_complete(_context: Context, event: unknown): string {
    return this.resume(event, (p) => p.job_flow_id) as string;
  }

  override serializeFields() {
    return { job_flow_overrides: this.job_flow_overrides, aws_conn_id: this.aws_conn_id, emr_conn_id: this.emr_conn_id };
  }
}

export interface EmrAddStepsOptions extends BaseOperatorOptions, AwsOptions, WaitArgs {
  job_flow_id?: string | null;
  /** find the cluster by name instead (in one of cluster_states) */
  job_flow_name?: string | null;
  cluster_states?: string[] | null;
  /** StepConfig objects (plain objects as in the posts), JSON text or a .json template file */
  steps?: StepConfig[] | Record<string, unknown>[] | string | null;
  execution_role_arn?: string | null;
}

export class EmrAddStepsOperator extends EmrBaseOperator {
  static template_fields = ['job_flow_id', 'job_flow_name', 'cluster_states', 'steps', 'execution_role_arn'];
  static template_ext = ['.json'];
  job_flow_id: string | null;
  job_flow_name: string | null;
  cluster_states: string[];
  steps: StepConfig[] | Record<string, unknown>[] | string;
  execution_role_arn: string | null;
  wait_for_completion: boolean;
  deferrable: boolean;
  waiter_delay: number;
  waiter_max_attempts: number;

  constructor(options: EmrAddStepsOptions) {
    const args = withDefaultArgs(options);
    if (!(args.job_flow_id ?? args.job_flow_name)) {
      throw new AirflowException(`task '${args.task_id}': give job_flow_id or job_flow_name`);
    }
    super(args);
    this.job_flow_id = args.job_flow_id ?? null;
    this.job_flow_name = args.job_flow_name ?? null;
    this.cluster_states = args.cluster_states ?? [];
    this.steps = args.steps ?? [];
    this.execution_role_arn = args.execution_role_arn ?? null;
    this.wait_for_completion = args.wait_for_completion ?? false;
    this.deferrable = args.deferrable ?? false;
    this.waiter_delay = args.waiter_delay ?? 30;
    this.waiter_max_attempts = args.waiter_max_attempts ?? 60;
  }

  async execute(context: Context): Promise<string[]> {
    const hook = this.hook();
    const id = this.job_flow_id || (this.job_flow_name ? await hook.get_cluster_id_by_name(this.job_flow_name, this.cluster_states) : null);
    if (!id) throw new AirflowException(`No cluster found for name: ${this.job_flow_name}`);
    const steps = jsonField<StepConfig[]>(this.steps, 'steps', this.task_id);
    context.log.info(`Adding steps to ${id}`);
    const stepIds = await hook.add_job_flow_steps(id, steps, this.execution_role_arn);
    context.log.info(`Steps ${stepIds.join(', ')} added to JobFlow`);
    if (this.deferrable) {
      this.defer({
        trigger: new EmrStateTrigger({
          resource: 'step', job_flow_id: id, step_ids: stepIds, target_states: ['COMPLETED'], failed_states: ['CANCELLED', 'FAILED', 'INTERRUPTED'],
          ...this.hook_params, poke_interval: this.waiter_delay, max_attempts: this.waiter_max_attempts,
        }),
        method_name: 'execute_complete',
      });
    }
    if (this.wait_for_completion) {
      for (const stepId of stepIds) {
        await waitForState({
          what: `EMR step ${stepId}`,
          poll: async () => {
            const r = await hook.describe_step(id, stepId);
            return { state: r.Step?.Status?.State ?? 'UNKNOWN', reason: stepFailureMessage(r) };
          },
          success: ['COMPLETED'],
          failure: ['CANCELLED', 'FAILED', 'INTERRUPTED'],
          delay: this.waiter_delay,
          max_attempts: this.waiter_max_attempts,
          log: context.log,
          signal: context.signal,
        });
      }
    }
    return stepIds;
  }

  /** Returns the step ids once every step completed (deferrable). */
  execute_complete(_context: Context, event: unknown): string[] {
    return this.resume(event, (p) => p.step_ids) as string[];
  }

  override serializeFields() {
    return { job_flow_id: this.job_flow_id, job_flow_name: this.job_flow_name, steps: this.steps, aws_conn_id: this.aws_conn_id };
  }
}

export interface EmrTerminateJobFlowOptions extends BaseOperatorOptions, AwsOptions {
  job_flow_id: string;
}

export class EmrTerminateJobFlowOperator extends EmrBaseOperator {
  static template_fields = ['job_flow_id'];
  job_flow_id: string;

  constructor(options: EmrTerminateJobFlowOptions) {
    const args = withDefaultArgs(options);
    super(args);
    this.job_flow_id = args.job_flow_id;
  }

  async execute(context: Context): Promise<void> {
    context.log.info(`Terminating JobFlow ${this.job_flow_id}`);
    await this.hook().terminate_job_flow(this.job_flow_id);
    context.log.info(`JobFlow with id ${this.job_flow_id} terminated`);
  }

  override serializeFields() {
    return { job_flow_id: this.job_flow_id, aws_conn_id: this.aws_conn_id };
  }
}

export interface EmrModifyClusterOptions extends BaseOperatorOptions, AwsOptions {
  cluster_id: string;
  step_concurrency_level: number | string;
}

export class EmrModifyClusterOperator extends EmrBaseOperator {
  static template_fields = ['cluster_id', 'step_concurrency_level'];
  cluster_id: string;
  step_concurrency_level: number | string;

  constructor(options: EmrModifyClusterOptions) {
    const args = withDefaultArgs(options);
    super(args);
    this.cluster_id = args.cluster_id;
    this.step_concurrency_level = args.step_concurrency_level;
  }

  async execute(context: Context): Promise<number | undefined> {
    const level = Number(this.step_concurrency_level);
    if (!Number.isInteger(level) || level < 1) {
      throw new AirflowException(`task '${this.task_id}': step_concurrency_level must be a positive integer, got ${JSON.stringify(this.step_concurrency_level)}`);
    }
    context.log.info(`Modifying cluster ${this.cluster_id}`);
    return this.hook().modify_cluster(this.cluster_id, level);
  }

  override serializeFields() {
    return { cluster_id: this.cluster_id, step_concurrency_level: this.step_concurrency_level };
  }
}

export interface EmrStartNotebookExecutionOptions extends BaseOperatorOptions, AwsOptions, WaitArgs {
  editor_id: string;
  relative_path: string;
  cluster_id: string;
  service_role: string;
  notebook_execution_name?: string | null;
  /** JSON text of the notebook's parameters */
  notebook_params?: string | null;
  notebook_instance_security_group_id?: string | null;
  master_instance_security_group_id?: string | null;
  tags?: Tag[] | null;
}

export class EmrStartNotebookExecutionOperator extends EmrBaseOperator {
  static template_fields = [
    'editor_id', 'cluster_id', 'relative_path', 'service_role', 'notebook_execution_name', 'notebook_params',
    'notebook_instance_security_group_id', 'master_instance_security_group_id', 'tags',
  ];
  editor_id: string;
  relative_path: string;
  cluster_id: string;
  service_role: string;
  notebook_execution_name: string | null;
  notebook_params: string | null;
  notebook_instance_security_group_id: string | null;
  master_instance_security_group_id: string | null;
  tags: Tag[];
  wait_for_completion: boolean;
  deferrable: boolean;
  waiter_delay: number;
  waiter_max_attempts: number;

  constructor(options: EmrStartNotebookExecutionOptions) {
    const args = withDefaultArgs(options);
    super(args);
    this.editor_id = args.editor_id;
    this.relative_path = args.relative_path;
    this.cluster_id = args.cluster_id;
    this.service_role = args.service_role;
    this.notebook_execution_name = args.notebook_execution_name ?? null;
    this.notebook_params = args.notebook_params ?? null;
    this.notebook_instance_security_group_id = args.notebook_instance_security_group_id ?? null;
    this.master_instance_security_group_id = args.master_instance_security_group_id ?? null;
    this.tags = args.tags ?? [];
    this.wait_for_completion = args.wait_for_completion ?? false;
    this.deferrable = args.deferrable ?? false;
    this.waiter_delay = args.waiter_delay ?? 60;
    this.waiter_max_attempts = args.waiter_max_attempts ?? 60;
  }

  async execute(context: Context): Promise<string> {
    const hook = this.hook();
    const id = await hook.start_notebook_execution({
      EditorId: this.editor_id,
      RelativePath: this.relative_path,
      ExecutionEngine: { Id: this.cluster_id, Type: 'EMR', ...(this.master_instance_security_group_id ? { MasterInstanceSecurityGroupId: this.master_instance_security_group_id } : {}) },
      ServiceRole: this.service_role,
      ...(this.notebook_execution_name ? { NotebookExecutionName: this.notebook_execution_name } : {}),
      ...(this.notebook_params ? { NotebookParams: this.notebook_params } : {}),
      ...(this.notebook_instance_security_group_id ? { NotebookInstanceSecurityGroupId: this.notebook_instance_security_group_id } : {}),
      ...(this.tags.length ? { Tags: this.tags } : {}),
    });
    context.log.info(`Started an execution: ${id}`);
    if (this.deferrable) {
      this.defer({
        trigger: new EmrStateTrigger({
          resource: 'notebook_execution', notebook_execution_id: id, target_states: ['FINISHED'], failed_states: ['FAILING', 'FAILED', 'STOPPED'],
          ...this.hook_params, poke_interval: this.waiter_delay, max_attempts: this.waiter_max_attempts,
        }),
        method_name: 'execute_complete',
      });
    }
    if (this.wait_for_completion) {
      await waitForState({
        what: `EMR notebook execution ${id}`,
        poll: async () => {
          const r = await hook.describe_notebook_execution(id);
          return { state: r.NotebookExecution?.Status ?? 'UNKNOWN', reason: notebookFailureMessage(r) };
        },
        success: ['FINISHED'],
        failure: ['FAILING', 'FAILED', 'STOPPED'],
        delay: this.waiter_delay,
        max_attempts: this.waiter_max_attempts,
        log: context.log,
        signal: context.signal,
      });
    }
    return id;
  }

  /** Returns the notebook execution id once it finished (deferrable). */
  execute_complete(_context: Context, event: unknown): string {
    return this.resume(event, (p) => p.notebook_execution_id) as string;
  }

  override serializeFields() {
    return { editor_id: this.editor_id, relative_path: this.relative_path, cluster_id: this.cluster_id, service_role: this.service_role };
  }
}
