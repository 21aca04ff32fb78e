/**
 * Step Functions: start an execution (returns its ARN), wait for it
 * (StepFunctionExecutionSensor pushes the output as XCom `output`), and read
 * its output (StepFunctionGetExecutionOutputOperator returns it parsed).
 */
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { AirflowException, type BaseOperatorOptions, type BaseSensorOptions, type Context, isFailurePayload, withDefaultArgs } from '@updraft/sdk';
import type { AwsOptions } from '../aws-options.ts';
import { StepFunctionHook } from '../hooks/services.ts';
import { SFN_FAILURE_STATES, StepFunctionsExecutionCompleteTrigger } from '../triggers/services.ts';
import { waitForState } from '../waiter.ts';
import { AwsBaseOperator, AwsBaseSensor } from './aws-base.ts';

export interface StepFunctionStartExecutionOptions extends BaseOperatorOptions, AwsOptions {
  state_machine_arn: string;
  name?: string | null;
  /** the execution's input: an object (sent as JSON) or JSON text */
  state_machine_input?: Record<string, unknown> | unknown[] | string | null;
  wait_for_completion?: boolean;
  waiter_delay?: number;
  waiter_max_attempts?: number;
  deferrable?: boolean;
}

export class StepFunctionStartExecutionOperator extends AwsBaseOperator {
  static template_fields = ['state_machine_arn', 'name', 'input'];
  state_machine_arn: string;
  name: string | null;
  input: Record<string, unknown> | unknown[] | string;
  wait_for_completion: boolean;
  waiter_delay: number;
  waiter_max_attempts: number;
  deferrable: boolean;

  constructor(options: StepFunctionStartExecutionOptions) {
    const args = withDefaultArgs(options);
    super(args);
    this.state_machine_arn = args.state_machine_arn;
    this.name = args.name ?? null;
    this.input = args.state_machine_input ?? {};
    this.wait_for_completion = args.wait_for_completion ?? false;
    this.waiter_delay = args.waiter_delay ?? 30;
    this.waiter_max_attempts = args.waiter_max_attempts ?? 30;
    this.deferrable = args.deferrable ?? false;
  }

  async execute(context: Context): Promise<string> {
    const sfn = await new StepFunctionHook(this.hook_params).get_conn();
    const input = typeof this.input === 'string' ? this.input : JSON.stringify(this.input);
    const out = await sfn.send(new StartExecutionCommand({ stateMachineArn: this.state_machine_arn, input, ...(this.name ? { name: this.name } : {}) }));
    const arn = out.executionArn;
    if (!arn) throw new AirflowException(`Failed to start State Machine execution for: ${this.state_machine_arn}`);
    context.log.info(`Started State Machine execution for ${this.state_machine_arn}: ${arn}`);
    if (this.deferrable) {
      this.defer({
        trigger: new StepFunctionsExecutionCompleteTrigger({ execution_arn: arn, ...this.hook_params, poke_interval: this.waiter_delay, max_attempts: this.waiter_max_attempts }),
        method_name: 'execute_complete',
      });
    }
    if (this.wait_for_completion) {
      await waitForState({
        what: `State Machine execution ${arn}`,
        poll: async () => {
          const d = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
          return { state: d.status ?? 'UNKNOWN', reason: [d.error, d.cause].filter(Boolean).join(': ') || null };
        },
        success: ['SUCCEEDED'],
        failure: SFN_FAILURE_STATES,
        delay: this.waiter_delay,
        max_attempts: this.waiter_max_attempts,
        log: context.log,
        signal: context.signal,
      });
    }
    return arn;
  }

  execute_complete(_context: Context, event: unknown): string {
    if (isFailurePayload(event)) throw new AirflowException(event.message ?? 'Step Function execution failed');
    return (event as { execution_arn: string }).execution_arn;
  }

  override serializeFields() {
    return { state_machine_arn: this.state_machine_arn, name: this.name, input: this.input };
  }
}

export interface StepFunctionExecutionSensorOptions extends BaseSensorOptions, AwsOptions {
  execution_arn: string;
}

export class StepFunctionExecutionSensor extends AwsBaseSensor {
  static template_fields = ['execution_arn'];
  static INTERMEDIATE_STATES = ['RUNNING'];
  static FAILURE_STATES = SFN_FAILURE_STATES;
  static SUCCESS_STATES = ['SUCCEEDED'];
  execution_arn: string;

  constructor(options: StepFunctionExecutionSensorOptions) {
    const args = withDefaultArgs(options);
    super(args);
    this.execution_arn = args.execution_arn;
  }

  async poke(context: Context): Promise<boolean> {
    const sfn = await new StepFunctionHook(this.hook_params).get_conn();
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn: this.execution_arn }));
    const state = d.status ?? 'UNKNOWN';
    const output = d.output ? JSON.parse(d.output) : null;
    if (SFN_FAILURE_STATES.includes(state)) {
      throw new AirflowException(`Step Function sensor failed. State Machine Output: ${d.output ?? null}. Error: ${d.error ?? null}. Cause: ${d.cause ?? null}`);
    }
    if (state === 'RUNNING' || state === 'PENDING_REDRIVE') return false;
    context.log.info(`Doing xcom_push of output`);
    await context.ti.xcom_push('output', output);
    return true;
  }

  override serializeFields() {
    return { ...super.serializeFields(), execution_arn: this.execution_arn };
  }
}

export interface StepFunctionGetExecutionOutputOptions extends BaseOperatorOptions, AwsOptions {
  execution_arn: string;
}

export class StepFunctionGetExecutionOutputOperator extends AwsBaseOperator {
  static template_fields = ['execution_arn'];
  execution_arn: string;

  constructor(options: StepFunctionGetExecutionOutputOptions) {
    const args = withDefaultArgs(options);
    super(args);
    this.execution_arn = args.execution_arn;
  }

  async execute(context: Context): Promise<unknown> {
    const sfn = await new StepFunctionHook(this.hook_params).get_conn();
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn: this.execution_arn }));
    const text = d.output ?? d.error ?? null;
    context.log.info(`Got State Machine Execution output for ${this.execution_arn}`);
    if (text === null) return null;
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }

  override serializeFields() {
    return { execution_arn: this.execution_arn };
  }
}
