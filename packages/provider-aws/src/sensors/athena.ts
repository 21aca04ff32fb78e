/** AthenaSensor: waits for a query execution to succeed; a failed or cancelled query fails it. */
import { AirflowException, type BaseSensorOptions, type Context, withDefaultArgs } from '@updraft/sdk';
import type { AwsOptions } from '../aws-options.ts';
import { AwsBaseSensor } from '../operators/aws-base.ts';
import { ATHENA_FAILURE_STATES, ATHENA_INTERMEDIATE_STATES, AthenaHook } from '../hooks/athena.ts';

export interface AthenaSensorOptions extends BaseSensorOptions, AwsOptions {
  query_execution_id: string;
}

export class AthenaSensor extends AwsBaseSensor {
  static template_fields = ['query_execution_id'];
  static INTERMEDIATE_STATES = ATHENA_INTERMEDIATE_STATES;
  static FAILURE_STATES = ATHENA_FAILURE_STATES;
  query_execution_id: string;

  constructor(options: AthenaSensorOptions) {
    const args = withDefaultArgs(options);
    super(args);
    this.query_execution_id = args.query_execution_id;
  }

  async poke(context: Context): Promise<boolean> {
    const hook = new AthenaHook(this.hook_params);
    const state = await hook.check_query_status(this.query_execution_id);
    context.log.info(`Query ${this.query_execution_id} is ${state}`);
    if (ATHENA_FAILURE_STATES.includes(state)) {
      throw new AirflowException(`Athena sensor failed: query ${this.query_execution_id} is ${state}: ${await hook.get_state_change_reason(this.query_execution_id)}`);
    }
    return !ATHENA_INTERMEDIATE_STATES.includes(state);
  }

  override serializeFields() {
    return { ...super.serializeFields(), query_execution_id: this.query_execution_id };
  }
}
