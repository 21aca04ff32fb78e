/**
 * EmrStateTrigger: waits in the triggerer until an EMR step, cluster or
 * notebook execution reaches a target state (success event) or a failed state
 * (error event with the service's reason). The deferrable EMR sensors use it.
 */
import { EmrHook, clusterFailureMessage, notebookFailureMessage, stepFailureMessage } from '../hooks/emr.ts';
import { AwsPollingTrigger, type AwsTriggerKwargs, type CheckResult } from './base-aws.ts';

export type EmrResource = 'step' | 'cluster' | 'notebook_execution';

export interface EmrStateTriggerKwargs extends AwsTriggerKwargs {
  resource: EmrResource;
  job_flow_id?: string | null;
  step_id?: string | null;
  /** resource 'step' with several steps: done when all reach a target state, failed as soon as one fails */
  step_ids?: string[] | null;
  notebook_execution_id?: string | null;
  target_states: string[];
  failed_states: string[];
}

/** The state of an EMR resource and, when it failed, Airflow's wording of why. */
export async function emrState(hook: EmrHook, k: Pick<EmrStateTriggerKwargs, 'resource' | 'job_flow_id' | 'step_id' | 'notebook_execution_id'>): Promise<{ state: string; reason: string | null }> {
  if (k.resource === 'step') {
    const r = await hook.describe_step(k.job_flow_id ?? '', k.step_id ?? '');
    return { state: r.Step?.Status?.State ?? 'UNKNOWN', reason: stepFailureMessage(r) };
  }
  if (k.resource === 'cluster') {
    const r = await hook.describe_cluster(k.job_flow_id ?? '');
    return { state: r.Cluster?.Status?.State ?? 'UNKNOWN', reason: clusterFailureMessage(r) };
  }
  const r = await hook.describe_notebook_execution(k.notebook_execution_id ?? '');
  return { state: r.NotebookExecution?.Status ?? 'UNKNOWN', reason: notebookFailureMessage(r) };
}

export class EmrStateTrigger extends AwsPollingTrigger<EmrStateTriggerKwargs> {
  protected get exportName() {
    return 'EmrStateTrigger';
  }

  protected async check(): Promise<CheckResult> {
    const hook = new EmrHook({ aws_conn_id: this.kwargs.aws_conn_id, region_name: this.kwargs.region_name });
    const ids = this.kwargs.resource === 'step' && this.kwargs.step_ids?.length ? this.kwargs.step_ids : [this.kwargs.step_id ?? null];
    let state = 'UNKNOWN';
    for (const step_id of ids) {
      const current = await emrState(hook, { ...this.kwargs, step_id });
      state = current.state;
      if (this.kwargs.failed_states.includes(state)) throw new Error(`EMR job failed ${current.reason ?? ''}`.trim() + ` (state ${state})`);
      if (!this.kwargs.target_states.includes(state)) return { done: false };
    }
    const { job_flow_id, step_ids, notebook_execution_id } = this.kwargs;
    return { done: true, payload: { state, ...(job_flow_id ? { job_flow_id } : {}), ...(step_ids ? { step_ids } : {}), ...(notebook_execution_id ? { notebook_execution_id } : {}) } };
  }
}
