/**
 * EMR sensors. EmrBaseSensor pokes get_emr_response(), reads the state with
 * state_from_response() and fails with failure_message_from_response(); its
 * subclasses choose the states. Both Airflow styles work:
 *
 * - target_states / failed_states options (Airflow 2+): done in a target state;
 * - static NON_TERMINAL_STATES / FAILED_STATE (Airflow 1.10, what the
 *   reference posts subclass): done in any state that is neither.
 */
import type { DescribeClusterCommandOutput, DescribeNotebookExecutionCommandOutput, DescribeStepCommandOutput } from '@aws-sdk/client-emr';
import { AirflowException, type BaseSensorOptions, type Context, isFailurePayload, withDefaultArgs } from '@updraft/sdk';
import type { AwsOptions } from '../aws-options.ts';
import { AwsBaseSensor } from '../operators/aws-base.ts';
import { EmrHook, clusterFailureMessage, notebookFailureMessage, stepFailureMessage } from '../hooks/emr.ts';
import { type EmrResource, EmrStateTrigger } from '../triggers/emr.ts';

export interface EmrBaseSensorOptions extends BaseSensorOptions, AwsOptions {
  target_states?: string[];
  failed_states?: string[];
}

export abstract class EmrBaseSensor<R = unknown> extends AwsBaseSensor {
  /** Airflow 1.10 style: states that mean "keep waiting" (null: use target_states) */
  static NON_TERMINAL_STATES: string[] | null = null;
  /** Airflow 1.10 style: states that fail the task (added to failed_states) */
  static FAILED_STATE: string[] = [];

  target_states: string[];
  failed_states: string[];

  constructor(options: EmrBaseSensorOptions, defaults: { target_states?: string[]; failed_states?: string[] } = {}) {
    const args = withDefaultArgs(options);
    super(args);
    this.target_states = args.target_states ?? defaults.target_states ?? [];
    this.failed_states = args.failed_states ?? defaults.failed_states ?? [];
  }

  /** The EmrHook for this sensor's connection. */
  get_hook(): EmrHook {
    return new EmrHook(this.hook_params);
  }

  abstract get_emr_response(context: Context): Promise<R>;
  abstract state_from_response(response: R): string;
  abstract failure_message_from_response(response: R): string | null;

  #statics(): { NON_TERMINAL_STATES: string[] | null; FAILED_STATE: string[] } {
    return this.constructor as unknown as { NON_TERMINAL_STATES: string[] | null; FAILED_STATE: string[] };
  }

  /** Every state that fails the task. */
  get all_failed_states(): string[] {
    return [...new Set([...this.#statics().FAILED_STATE, ...this.failed_states])];
  }

  async poke(context: Context): Promise<boolean> {
    const response = await this.get_emr_response(context);
    const state = this.state_from_response(response);
    context.log.info(`Job flow currently ${state}`);
    const nonTerminal = this.#statics().NON_TERMINAL_STATES;
    if (nonTerminal && nonTerminal.includes(state)) return false;
    if (this.all_failed_states.includes(state)) {
      const why = this.failure_message_from_response(response);
      throw new AirflowException(`EMR job failed${why ? ` ${why}` : ''}`);
    }
    if (nonTerminal) return true;
    return this.target_states.includes(state);
  }

  /** What the deferrable variant waits for; null when this sensor cannot defer (custom subclasses). */
  protected triggerTarget(): { resource: EmrResource; job_flow_id?: string; step_id?: string; notebook_execution_id?: string } | null {
    return null;
  }

  override async execute(context: Context): Promise<unknown> {
    // a subclass with 1.10-style states decides "done" differently from target_states: it pokes instead
    const target = this.deferrable && !this.#statics().NON_TERMINAL_STATES ? this.triggerTarget() : null;
    if (!target) return super.execute(context);
    if (await this.poke(context)) return undefined;
    this.defer({
      trigger: new EmrStateTrigger({
        ...target,
        target_states: this.target_states,
        failed_states: this.all_failed_states,
        aws_conn_id: this.aws_conn_id,
        region_name: this.region_name,
        poke_interval: this.poke_interval,
      }),
      method_name: 'execute_complete',
      timeout: this.timeout,
    });
  }

  execute_complete(_context: Context, event: unknown): void {
    if (isFailurePayload(event)) throw new AirflowException(event.message ?? 'EMR trigger failed');
  }
}

export interface EmrStepSensorOptions extends EmrBaseSensorOptions {
  job_flow_id: string;
  step_id: string;
}

export class EmrStepSensor extends EmrBaseSensor<DescribeStepCommandOutput> {
  static template_fields = ['job_flow_id', 'step_id', 'target_states', 'failed_states'];
  job_flow_id: string;
  step_id: string;

  constructor(options: EmrStepSensorOptions) {
    const args = withDefaultArgs(options);
    super(args, { target_states: ['COMPLETED'], failed_states: ['CANCELLED', 'FAILED', 'INTERRUPTED'] });
    this.job_flow_id = args.job_flow_id;
    this.step_id = args.step_id;
  }

  async get_emr_response(context: Context) {
    context.log.info(`Poking step ${this.step_id} on cluster ${this.job_flow_id}`);
    return this.get_hook().describe_step(this.job_flow_id, this.step_id);
  }

  state_from_response(response: DescribeStepCommandOutput): string {
    return response.Step?.Status?.State ?? 'UNKNOWN';
  }

  failure_message_from_response(response: DescribeStepCommandOutput): string | null {
    return stepFailureMessage(response);
  }

  protected override triggerTarget() {
    return { resource: 'step' as const, job_flow_id: this.job_flow_id, step_id: this.step_id };
  }

  override serializeFields() {
    return { ...super.serializeFields(), job_flow_id: this.job_flow_id, step_id: this.step_id, target_states: this.target_states, failed_states: this.failed_states };
  }
}

export interface EmrJobFlowSensorOptions extends EmrBaseSensorOptions {
  job_flow_id: string;
}

/** Waits for a cluster to reach a target state (default TERMINATED). */
export class EmrJobFlowSensor extends EmrBaseSensor<DescribeClusterCommandOutput> {
  static template_fields = ['job_flow_id', 'target_states', 'failed_states'];
  job_flow_id: string;

  constructor(options: EmrJobFlowSensorOptions) {
    const args = withDefaultArgs(options);
    super(args, { target_states: ['TERMINATED'], failed_states: ['TERMINATED_WITH_ERRORS'] });
    this.job_flow_id = args.job_flow_id;
  }

  async get_emr_response(context: Context) {
    context.log.info(`Poking cluster ${this.job_flow_id}`);
    return this.get_hook().describe_cluster(this.job_flow_id);
  }

  state_from_response(response: DescribeClusterCommandOutput): string {
    return response.Cluster?.Status?.State ?? 'UNKNOWN';
  }

  failure_message_from_response(response: DescribeClusterCommandOutput): string | null {
    return clusterFailureMessage(response);
  }

  protected override triggerTarget() {
    return { resource: 'cluster' as const, job_flow_id: this.job_flow_id };
  }

  override serializeFields() {
    return { ...super.serializeFields(), job_flow_id: this.job_flow_id, target_states: this.target_states, failed_states: this.failed_states };
  }
}

export interface EmrNotebookExecutionSensorOptions extends EmrBaseSensorOptions {
  notebook_execution_id: string;
}

/** Waits for a notebook execution to finish (fails on FAILING/FAILED). */
export class EmrNotebookExecutionSensor extends EmrBaseSensor<DescribeNotebookExecutionCommandOutput> {
  static template_fields = ['notebook_execution_id'];
  notebook_execution_id: string;

  constructor(options: EmrNotebookExecutionSensorOptions) {
    const args = withDefaultArgs(options);
    super(args, { target_states: ['FINISHED'], failed_states: ['FAILING', 'FAILED'] });
    this.notebook_execution_id = args.notebook_execution_id;
  }

  async get_emr_response(context: Context) {
    context.log.info(`Poking notebook execution ${this.notebook_execution_id}`);
    return this.get_hook().describe_notebook_execution(this.notebook_execution_id);
  }

  state_from_response(response: DescribeNotebookExecutionCommandOutput): string {
    return response.NotebookExecution?.Status ?? 'UNKNOWN';
  }

  failure_message_from_response(response: DescribeNotebookExecutionCommandOutput): string | null {
    return notebookFailureMessage(response);
  }

  protected override triggerTarget() {
    return { resource: 'notebook_execution' as const, notebook_execution_id: this.notebook_execution_id };
  }

  override serializeFields() {
    return { ...super.serializeFields(), notebook_execution_id: this.notebook_execution_id };
  }
}
