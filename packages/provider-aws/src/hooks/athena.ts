/** AthenaHook: run a query, read its state and why it failed. */
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  type QueryExecutionContext,
  type ResultConfiguration,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { AirflowException } from '@updraft/sdk';
import { AwsBaseHook, type AwsHookOptions } from './base-aws.ts';

export const ATHENA_INTERMEDIATE_STATES = ['QUEUED', 'RUNNING'];
export const ATHENA_FAILURE_STATES = ['FAILED', 'CANCELLED'];
export const ATHENA_SUCCESS_STATES = ['SUCCEEDED'];

export class AthenaHook extends AwsBaseHook<AthenaClient> {
  constructor(options: AwsHookOptions = {}) {
    super(AthenaClient, 'athena', options);
  }

  async run_query(
    query: string,
    query_context: QueryExecutionContext,
    result_configuration: ResultConfiguration,
    client_request_token: string | null = null,
    workgroup = 'primary',
  ): Promise<string> {
    const athena = await this.get_conn();
    const out = await athena.send(
      new StartQueryExecutionCommand({
        QueryString: query,
        QueryExecutionContext: query_context,
        ResultConfiguration: result_configuration,
        WorkGroup: workgroup,
        ...(client_request_token ? { ClientRequestToken: client_request_token } : {}),
      }),
    );
    if (!out.QueryExecutionId) throw new AirflowException(`Athena did not return a query execution id: ${JSON.stringify(out)}`);
    return out.QueryExecutionId;
  }

  async get_query_info(query_execution_id: string) {
    const athena = await this.get_conn();
    return (await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: query_execution_id }))).QueryExecution;
  }

  async check_query_status(query_execution_id: string): Promise<string> {
    return (await this.get_query_info(query_execution_id))?.Status?.State ?? 'UNKNOWN';
  }

  /** StateChangeReason, which says why a query failed. */
  async get_state_change_reason(query_execution_id: string): Promise<string | null> {
    return (await this.get_query_info(query_execution_id))?.Status?.StateChangeReason ?? null;
  }

  /** The query's results (one page), or null unless it SUCCEEDED. */
  async get_query_results(query_execution_id: string, next_token: string | null = null): Promise<GetQueryResultsCommandOutput | null> {
    if ((await this.check_query_status(query_execution_id)) !== 'SUCCEEDED') return null;
    const athena = await this.get_conn();
    return athena.send(new GetQueryResultsCommand({ QueryExecutionId: query_execution_id, ...(next_token ? { NextToken: next_token } : {}) }));
  }

  async stop_query(query_execution_id: string): Promise<void> {
    await (await this.get_conn()).send(new StopQueryExecutionCommand({ QueryExecutionId: query_execution_id }));
  }

  /** The S3 URL Athena wrote the results to. */
  async get_output_location(query_execution_id: string): Promise<string | null> {
    return (await this.get_query_info(query_execution_id))?.ResultConfiguration?.OutputLocation ?? null;
  }
}
