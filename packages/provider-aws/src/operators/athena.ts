/**
 * AthenaOperator: runs a query, waits for it and returns its query execution
 * id (the XCom); a failed query fails the task with Athena's reason.
 * AWSAthenaOperator is Airflow 1.10's name for it (the reference posts use it).
 */
import { AirflowException, type BaseOperatorOptions, type Context, isFailurePayload, withDefaultArgs } from '@updraft/sdk';
import { type AwsOptions, sleep } from '../aws-options.ts';
import { AwsBaseOperator } from './aws-base.ts';
import { ATHENA_FAILURE_STATES, ATHENA_INTERMEDIATE_STATES, AthenaHook } from '../hooks/athena.ts';
import { AthenaTrigger } from '../triggers/athena.ts';

export interface AthenaOperatorOptions extends BaseOperatorOptions, AwsOptions {
  query: string;
  database?: string | null;
  catalog?: string | null;
  /** s3:// prefix the results are written to */
  output_location?: string | null;
  workgroup?: string;
  client_request_token?: string | null;
  query_execution_context?: Record<string, string> | null;
  result_configuration?: Record<string, unknown> | null;
  /** seconds between status checks (default 30) */
  sleep_time?: number;
  /** give up after this many checks (null: never) */
  max_polling_attempts?: number | null;
  log_query?: boolean;
  deferrable?: boolean;
}

export class AthenaOperator extends AwsBaseOperator {
  static template_fields = ['query', 'database', 'output_location', 'workgroup', 'catalog'];
  static template_ext = ['.sql'];
  query: string;
  database: string | null;
  catalog: string | null;
  output_location: string | null;
  workgroup: string;
  client_request_token: string | null;
  query_execution_context: Record<string, string>;
  result_configuration: Record<string, unknown>;
  sleep_time: number;
  max_polling_attempts: number | null;
  log_query: boolean;
  deferrable: boolean;
  query_execution_id: string | null = null;

  constructor(options: AthenaOperatorOptions) {
    const args = withDefaultArgs(options);
    super(args);
    this.query = args.query;
    this.database = args.database ?? null;
    this.catalog = args.catalog ?? null;
    this.output_location = args.output_location ?? null;
    this.workgroup = args.workgroup ?? 'primary';
    this.client_request_token = args.client_request_token ?? null;
    this.query_execution_context = { ...(args.query_execution_context ?? {}) };
    this.result_configuration = { ...(args.result_configuration ?? {}) };
    this.sleep_time = args.sleep_time ?? 30;
    this.max_polling_attempts = args.max_polling_attempts ?? null;
    this.log_query = args.log_query ?? true;
    this.deferrable = args.deferrable ?? false;
  }

  hook(): AthenaHook {
    return new AthenaHook(this.hook_params);
  }

  async execute(context: Context): Promise<string> {
    const hook = this.hook();
    const queryContext = { ...this.query_execution_context, ...(this.database ? { Database: this.database } : {}), ...(this.catalog ? { Catalog: this.catalog } : {}) };
    const resultConfiguration = { ...this.result_configuration, ...(this.output_location ? { OutputLocation: this.output_location } : {}) };
    if (this.log_query) context.log.info(`Running Query: ${this.query}`);
    const id = await hook.run_query(this.query, queryContext, resultConfiguration, this.client_request_token, this.workgroup);
    this.query_execution_id = id;
    context.log.info(`Query execution id: ${id}`);
    if (this.deferrable) {
      this.defer({
        trigger: new AthenaTrigger({ query_execution_id: id, aws_conn_id: this.aws_conn_id, region_name: this.region_name, poke_interval: this.sleep_time, max_attempts: this.max_polling_attempts }),
        method_name: 'execute_complete',
      });
    }
    let state: string;
    for (let attempt = 1; ; attempt++) {
      state = await hook.check_query_status(id);
      if (!ATHENA_INTERMEDIATE_STATES.includes(state)) break;
      if (this.max_polling_attempts !== null && attempt >= this.max_polling_attempts) {
        throw new AirflowException(`Final state of Athena job is ${state}. Max tries of poll status exceeded, query_execution_id is ${id}.`);
      }
      context.log.info(`Query is still in non-terminal state ${state}`);
      await sleep(this.sleep_time, context.signal);
    }
    if (ATHENA_FAILURE_STATES.includes(state)) {
      const reason = await hook.get_state_change_reason(id);
      throw new AirflowException(`Final state of Athena job is ${state}, query_execution_id is ${id}. Error: ${reason}`);
    }
    context.log.info(`Query ${id} ${state}`);
    return id;
  }

  execute_complete(_context: Context, event: unknown): string {
    if (isFailurePayload(event)) throw new AirflowException(event.message ?? 'Athena query failed');
    return (event as { value: string }).value;
  }

  override serializeFields() {
    return { query: this.query, database: this.database, output_location: this.output_location, workgroup: this.workgroup };
  }
}

/** Airflow 1.10's name (airflow.contrib.operators.aws_athena_operator.AWSAthenaOperator). */
export class AWSAthenaOperator extends AthenaOperator {}
