/** AthenaTrigger: waits in the triggerer until a query succeeds (or fails, with Athena's reason). */
import { ATHENA_FAILURE_STATES, ATHENA_SUCCESS_STATES, AthenaHook } from '../hooks/athena.ts';
import { AwsPollingTrigger, type AwsTriggerKwargs, type CheckResult } from './base-aws.ts';

export interface AthenaTriggerKwargs extends AwsTriggerKwargs {
  query_execution_id: string;
}

export class AthenaTrigger extends AwsPollingTrigger<AthenaTriggerKwargs> {
  protected get exportName() {
    return 'AthenaTrigger';
  }

  protected async check(): Promise<CheckResult> {
    const hook = new AthenaHook({ aws_conn_id: this.kwargs.aws_conn_id, region_name: this.kwargs.region_name });
    const info = await hook.get_query_info(this.kwargs.query_execution_id);
    const state = info?.Status?.State ?? 'UNKNOWN';
    if (ATHENA_SUCCESS_STATES.includes(state)) return { done: true, payload: { value: this.kwargs.query_execution_id } };
    if (ATHENA_FAILURE_STATES.includes(state)) {
      throw new Error(`Final state of Athena job is ${state}, query_execution_id is ${this.kwargs.query_execution_id}. Error: ${info?.Status?.StateChangeReason ?? null}`);
    }
    return { done: false };
  }
}
