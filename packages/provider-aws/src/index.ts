/**
 * @updraft/provider-aws: Airflow's Amazon provider for Updraft — the `aws`
 * connection and one client factory, hooks, operators, sensors and triggers
 * for S3, EMR, Athena, Step Functions, Glue, Redshift Data, Lambda, SNS, SQS.
 * Names, arguments, template fields and XCom values follow Airflow's.
 */
export { awsConfigFromConnection, awsConfigFromEnv, resolveAwsConfig, defaultAwsConfig, type AwsConnectionConfig, type AwsCredentials } from './connection.ts';
export { createClient, destroyClients, regionFor, endpointFor, type AwsServiceName, type AwsClientClass } from './client-factory.ts';
export { type AwsOptions } from './aws-options.ts';
export { fnmatch } from './wildcard.ts';
export { AwsBaseHook, type AwsHookOptions } from './hooks/base-aws.ts';
export { S3Hook, type S3Location, type S3ObjectInfo } from './hooks/s3.ts';
export {
  S3CreateBucketOperator,
  S3DeleteBucketOperator,
  S3CreateObjectOperator,
  S3CopyObjectOperator,
  S3DeleteObjectsOperator,
  S3ListOperator,
} from './operators/s3.ts';
export { S3KeySensor, type S3KeySensorOptions } from './sensors/s3.ts';
export { AwsPollingTrigger, type AwsTriggerKwargs } from './triggers/base-aws.ts';
export { S3KeyTrigger } from './triggers/s3.ts';
export { EmrHook, type EmrHookOptions } from './hooks/emr.ts';
export {
  EmrCreateJobFlowOperator,
  EmrAddStepsOperator,
  EmrTerminateJobFlowOperator,
  EmrModifyClusterOperator,
  EmrStartNotebookExecutionOperator,
} from './operators/emr.ts';
export { EmrBaseSensor, EmrStepSensor, EmrJobFlowSensor, EmrNotebookExecutionSensor, type EmrBaseSensorOptions } from './sensors/emr.ts';
export { EmrStateTrigger, type EmrStateTriggerKwargs } from './triggers/emr.ts';
export { AthenaHook } from './hooks/athena.ts';
export { AthenaOperator, AWSAthenaOperator, type AthenaOperatorOptions } from './operators/athena.ts';
export { AthenaSensor } from './sensors/athena.ts';
export { AthenaTrigger } from './triggers/athena.ts';
export { StepFunctionHook, GlueJobHook, RedshiftDataHook, LambdaHook, SnsHook, SqsHook } from './hooks/services.ts';
export { AwsBaseOperator, AwsBaseSensor } from './operators/aws-base.ts';
export {
  StepFunctionStartExecutionOperator,
  StepFunctionExecutionSensor,
  StepFunctionGetExecutionOutputOperator,
} from './operators/step-functions.ts';
export { GlueJobOperator, GlueJobSensor, GlueCrawlerOperator } from './operators/glue.ts';
export { RedshiftDataOperator, RedshiftDataStatementSensor } from './operators/redshift-data.ts';
export { LambdaInvokeFunctionOperator, SnsPublishOperator, SqsPublishOperator, SqsSensor } from './operators/messaging.ts';
export { StepFunctionsExecutionCompleteTrigger, GlueJobCompleteTrigger, RedshiftDataTrigger } from './triggers/services.ts';
