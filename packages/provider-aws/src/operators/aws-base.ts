/** The base of operators and sensors that hold an aws connection id and region. */
import { BaseOperator, BaseSensorOperator, type BaseOperatorOptions, type BaseSensorOptions } from '@updraft/sdk';
import { type AwsOptions, awsOptions } from '../aws-options.ts';

export abstract class AwsBaseOperator extends BaseOperator {
  aws_conn_id: string | null;
  region_name: string | null;

  constructor(args: BaseOperatorOptions & AwsOptions) {
    super(args);
    ({ aws_conn_id: this.aws_conn_id, region_name: this.region_name } = awsOptions(args));
  }

  /** What every hook constructor takes. */
  get hook_params(): { aws_conn_id: string | null; region_name: string | null } {
    return { aws_conn_id: this.aws_conn_id, region_name: this.region_name };
  }
}

export abstract class AwsBaseSensor extends BaseSensorOperator {
  aws_conn_id: string | null;
  region_name: string | null;

  constructor(args: BaseSensorOptions & AwsOptions) {
    super(args);
    ({ aws_conn_id: this.aws_conn_id, region_name: this.region_name } = awsOptions(args));
  }

  get hook_params(): { aws_conn_id: string | null; region_name: string | null } {
    return { aws_conn_id: this.aws_conn_id, region_name: this.region_name };
  }
}
