/** Triggers for Step Functions executions, Glue job runs and Redshift Data statements. */
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { GetJobRunCommand } from '@aws-sdk/client-glue';
import { DescribeStatementCommand } from '@aws-sdk/client-redshift-data';
import { GlueJobHook, RedshiftDataHook, StepFunctionHook } from '../hooks/services.ts';
import { AwsPollingTrigger, type AwsTriggerKwargs, type CheckResult } from './base-aws.ts';

export const SFN_FAILURE_STATES = ['FAILED', 'TIMED_OUT', 'ABORTED'];
export const GLUE_FAILURE_STATES = ['FAILED', 'STOPPED', 'TIMEOUT', 'ERROR'];
export const REDSHIFT_DATA_FAILURE_STATES = ['FAILED', 'ABORTED'];

export class StepFunctionsExecutionCompleteTrigger extends AwsPollingTrigger<AwsTriggerKwargs & { execution_arn: string }> {
  protected get exportName() {
    return 'StepFunctionsExecutionCompleteTrigger';
  }

  protected async check(): Promise<CheckResult> {
    const sfn = await new StepFunctionHook(this.kwargs).get_conn();
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn: this.kwargs.execution_arn }));
    if (out.status === 'SUCCEEDED') return { done: true, payload: { execution_arn: this.kwargs.execution_arn, output: out.output ?? null } };
    if (SFN_FAILURE_STATES.includes(out.status ?? '')) throw new Error(`Step Function execution ${this.kwargs.execution_arn} ended ${out.status}: ${out.error ?? ''} ${out.cause ?? ''}`.trim());
    return { done: false };
  }
}

export class GlueJobCompleteTrigger extends AwsPollingTrigger<AwsTriggerKwargs & { job_name: string; run_id: string }> {
  protected get exportName() {
    return 'GlueJobCompleteTrigger';
  }

  protected async check(): Promise<CheckResult> {
    const glue = await new GlueJobHook(this.kwargs).get_conn();
    const run = (await glue.send(new GetJobRunCommand({ JobName: this.kwargs.job_name, RunId: this.kwargs.run_id }))).JobRun;
    if (run?.JobRunState === 'SUCCEEDED') return { done: true, payload: { value: this.kwargs.run_id } };
    if (GLUE_FAILURE_STATES.includes(run?.JobRunState ?? '')) throw new Error(`Exiting Job ${this.kwargs.run_id} Run State: ${run?.JobRunState}: ${run?.ErrorMessage ?? ''}`.trim());
    return { done: false };
  }
}

export class RedshiftDataTrigger extends AwsPollingTrigger<AwsTriggerKwargs & { statement_id: string }> {
  protected get exportName() {
    return 'RedshiftDataTrigger';
  }

  protected async check(): Promise<CheckResult> {
    const rsd = await new RedshiftDataHook(this.kwargs).get_conn();
    const out = await rsd.send(new DescribeStatementCommand({ Id: this.kwargs.statement_id }));
    if (out.Status === 'FINISHED') return { done: true, payload: { statement_id: this.kwargs.statement_id } };
    if (REDSHIFT_DATA_FAILURE_STATES.includes(out.Status ?? '')) throw new Error(`Statement ${this.kwargs.statement_id} terminated with status ${out.Status}. Response details: ${out.Error ?? ''}`);
    return { done: false };
  }
}
