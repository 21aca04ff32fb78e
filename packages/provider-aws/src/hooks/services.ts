/** Hooks of the services whose operators need little more than their client: Step Functions, Glue, Redshift Data, Lambda, SNS, SQS. */
import { GlueClient } from '@aws-sdk/client-glue';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { AwsBaseHook, type AwsHookOptions } from './base-aws.ts';

export class StepFunctionHook extends AwsBaseHook<SFNClient> {
  constructor(options: AwsHookOptions = {}) {
    super(SFNClient, 'stepfunctions', options);
  }
}

export class GlueJobHook extends AwsBaseHook<GlueClient> {
  constructor(options: AwsHookOptions = {}) {
    super(GlueClient, 'glue', options);
  }
}

export class RedshiftDataHook extends AwsBaseHook<RedshiftDataClient> {
  constructor(options: AwsHookOptions = {}) {
    super(RedshiftDataClient, 'redshift-data', options);
  }
}

export class LambdaHook extends AwsBaseHook<LambdaClient> {
  constructor(options: AwsHookOptions = {}) {
    super(LambdaClient, 'lambda', options);
  }
}

export class SnsHook extends AwsBaseHook<SNSClient> {
  constructor(options: AwsHookOptions = {}) {
    super(SNSClient, 'sns', options);
  }
}

export class SqsHook extends AwsBaseHook<SQSClient> {
  constructor(options: AwsHookOptions = {}) {
    super(SQSClient, 'sqs', options);
  }
}
