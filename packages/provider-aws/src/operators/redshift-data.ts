/**
 * Redshift Data API: RedshiftDataOperator runs SQL (one statement, or a list
 * as a batch) on a cluster or a serverless workgroup, as a database user or
 * with a secret, waits unless told not to, and returns the statement id;
 * RedshiftDataStatementSensor waits for a statement.
 */
import { BatchExecuteStatementCommand, DescribeStatementCommand, ExecuteStatementCommand, type SqlParameter } from '@aws-sdk/client-redshift-data';
import { AirflowException, type BaseOperatorOptions, type BaseSensorOptions, type Context, isFailurePayload, withDefaultArgs } from '@updraft/sdk';
import { type AwsOptions, sleep } from '../aws-options.ts';
import { RedshiftDataHook } from '../hooks/services.ts';
import { REDSHIFT_DATA_FAILURE_STATES, RedshiftDataTrigger } from '../triggers/services.ts';
import { AwsBaseOperator, AwsBaseSensor } from './aws-base.ts';

export interface RedshiftDataOperatorOptions extends BaseOperatorOptions, AwsOptions {
  database: string;
  sql: string | string[];
  cluster_identifier?: string | null;
  workgroup_name?: string | null;
  db_user?: string | null;
  secret_arn?: string | null;
  parameters?: SqlParameter[] | null;
  statement_name?: string | null;
  with_event?: boolean;
  wait_for_completion?: boolean;
  /** seconds between status checks */
  poll_interval?: number;
  deferrable?: boolean;
}

export class RedshiftDataOperator extends AwsBaseOperator {
  static template_fields = ['cluster_identifier', 'database', 'sql', 'db_user', 'parameters', 'statement_name', 'workgroup_name', 'secret_arn'];
  static template_ext = ['.sql'];
  database: string;
  sql: string | string[];
  cluster_identifier: string | null;
  workgroup_name: string | null;
  db_user: string | null;
  secret_arn: string | null;
  parameters: SqlParameter[] | null;
  statement_name: string | null;
  with_event: boolean;
  wait_for_completion: boolean;
  poll_interval: number;
  deferrable: boolean;

  constructor(options: RedshiftDataOperatorOptions) {
    const args = withDefaultArgs(options);
    if (!args.cluster_identifier === !args.workgroup_name) {
      throw new AirflowException(`task '${args.task_id}': give exactly one of cluster_identifier and workgroup_name`);
    }
    super(args);
    this.database = args.database;
    this.sql = args.sql;
    this.cluster_identifier = args.cluster_identifier ?? null;
    this.workgroup_name = args.workgroup_name ?? null;
    this.db_user = args.db_user ?? null;
    this.secret_arn = args.secret_arn ?? null;
    this.parameters = args.parameters ?? null;
    this.statement_name = args.statement_name ?? null;
    this.with_event = args.with_event ?? false;
    this.wait_for_completion = args.wait_for_completion ?? true;
    this.poll_interval = args.poll_interval ?? 10;
    this.deferrable = args.deferrable ?? false;
  }

  async execute(context: Context): Promise<string> {
    const rsd = await new RedshiftDataHook(this.hook_params).get_conn();
    const target = {
      Database: this.database,
      ...(this.cluster_identifier ? { ClusterIdentifier: this.cluster_identifier } : {}),
      ...(this.workgroup_name ? { WorkgroupName: this.workgroup_name } : {}),
      ...(this.db_user ? { DbUser: this.db_user } : {}),
      ...(this.secret_arn ? { SecretArn: this.secret_arn } : {}),
      ...(this.statement_name ? { StatementName: this.statement_name } : {}),
      WithEvent: this.with_event,
    };
    context.log.info(`Executing statement: ${Array.isArray(this.sql) ? this.sql.join('; ') : this.sql}`);
    const out = Array.isArray(this.sql)
      ? await rsd.send(new BatchExecuteStatementCommand({ ...target, Sqls: this.sql }))
      : await rsd.send(new ExecuteStatementCommand({ ...target, Sql: this.sql, ...(this.parameters ? { Parameters: this.parameters } : {}) }));
    const id = out.Id;
    if (!id) throw new AirflowException('Redshift Data did not return a statement id');
    context.log.info(`Statement id: ${id}`);
    if (this.deferrable && this.wait_for_completion) {
      this.defer({ trigger: new RedshiftDataTrigger({ statement_id: id, ...this.hook_params, poke_interval: this.poll_interval }), method_name: 'execute_complete' });
    }
    if (this.wait_for_completion) {
      for (;;) {
        const d = await rsd.send(new DescribeStatementCommand({ Id: id }));
        if (d.Status === 'FINISHED') break;
        if (REDSHIFT_DATA_FAILURE_STATES.includes(d.Status ?? '')) throw new AirflowException(`Statement ${id} terminated with status ${d.Status}. Response details: ${d.Error ?? ''}`);
        context.log.info(`Query ${d.Status}`);
        await sleep(this.poll_interval, context.signal);
      }
      context.log.info(`Processed ${id}`);
    }
    return id;
  }

  execute_complete(_context: Context, event: unknown): string {
    if (isFailurePayload(event)) throw new AirflowException(event.message ?? 'Redshift Data statement failed');
    return (event as { statement_id: string }).statement_id;
  }

  override serializeFields() {
    return { database: this.database, sql: this.sql, cluster_identifier: this.cluster_identifier, workgroup_name: this.workgroup_name, db_user: this.db_user };
  }
}

export interface RedshiftDataStatementSensorOptions extends BaseSensorOptions, AwsOptions {
  statement_id: string;
}

export class RedshiftDataStatementSensor extends AwsBaseSensor {
  static template_fields = ['statement_id'];
  statement_id: string;

  constructor(options: RedshiftDataStatementSensorOptions) {
    const args = withDefaultArgs(options);
    super(args);
    this.statement_id = args.statement_id;
  }

  async poke(context: Context): Promise<boolean> {
    const rsd = await new RedshiftDataHook(this.hook_params).get_conn();
    const d = await rsd.send(new DescribeStatementCommand({ Id: this.statement_id }));
    context.log.info(`Statement ${this.statement_id} is ${d.Status}`);
    if (REDSHIFT_DATA_FAILURE_STATES.includes(d.Status ?? '')) throw new AirflowException(`Statement ${this.statement_id} terminated with status ${d.Status}. Response details: ${d.Error ?? ''}`);
    return d.Status === 'FINISHED';
  }

  override serializeFields() {
    return { ...super.serializeFields(), statement_id: this.statement_id };
  }
}
