/** Lambda invoke, SNS publish, SQS publish and SqsSensor, with Airflow's arguments and return values. */
import { InvokeCommand, type InvocationType, type LogType } from '@aws-sdk/client-lambda';
import { PublishCommand, type MessageAttributeValue as SnsAttribute } from '@aws-sdk/client-sns';
import { DeleteMessageBatchCommand, type Message, type MessageAttributeValue as SqsAttribute, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { AirflowException, type BaseOperatorOptions, type BaseSensorOptions, type Context, withDefaultArgs } from '@updraft/sdk';
import type { AwsOptions } from '../aws-options.ts';
import { LambdaHook, SnsHook, SqsHook } from '../hooks/services.ts';
import { AwsBaseOperator, AwsBaseSensor } from './aws-base.ts';

export interface LambdaInvokeFunctionOptions extends BaseOperatorOptions, AwsOptions {
  function_name: string;
  /** JSON text sent as the event */
  payload?: string | null;
  qualifier?: string | null;
  invocation_type?: InvocationType | null;
  log_type?: LogType | null;
  client_context?: string | null;
}

/** Returns the function's response payload as text; a function error fails the task. */
export class LambdaInvokeFunctionOperator extends AwsBaseOperator {
  static template_fields = ['function_name', 'payload', 'qualifier', 'invocation_type'];
  function_name: string;
  payload: string | null;
  qualifier: string | null;
  invocation_type: InvocationType | null;
  log_type: LogType | null;
  client_context: string | null;

  constructor(options: LambdaInvokeFunctionOptions) {
    const args = withDefaultArgs(options);
    super(args);
    this.function_name = args.function_name;
    this.payload = args.payload ?? null;
    this.qualifier = args.qualifier ?? null;
    this.invocation_type = args.invocation_type ?? null;
    this.log_type = args.log_type ?? null;
    this.client_context = args.client_context ?? null;
  }

  async execute(context: Context): Promise<string> {
    const lambda = await new LambdaHook(this.hook_params).get_conn();
    context.log.info(`Invoking AWS Lambda function: ${this.function_name} with payload: ${this.payload}`);
    const out = await lambda.send(
      new InvokeCommand({
        FunctionName: this.function_name,
        ...(this.payload !== null ? { Payload: Buffer.from(this.payload) } : {}),
        ...(this.qualifier ? { Qualifier: this.qualifier } : {}),
        ...(this.invocation_type ? { InvocationType: this.invocation_type } : {}),
        ...(this.log_type ? { LogType: this.log_type } : {}),
        ...(this.client_context ? { ClientContext: this.client_context } : {}),
      }),
    );
    const payload = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
    context.log.info(`Lambda response metadata: status ${out.StatusCode}, executed version ${out.ExecutedVersion ?? null}`);
    if (out.FunctionError) {
      throw new AirflowException(`Lambda function execution resulted in error: ${out.FunctionError}: ${payload}`);
    }
    context.log.info('Lambda function invocation succeeded');
    return payload;
  }

  override serializeFields() {
    return { function_name: this.function_name, payload: this.payload, qualifier: this.qualifier, invocation_type: this.invocation_type };
  }
}

export interface SnsPublishOptions extends BaseOperatorOptions, AwsOptions {
  target_arn: string;
  message: string;
  subject?: string | null;
  message_attributes?: Record<string, SnsAttribute> | null;
  message_deduplication_id?: string | null;
  message_group_id?: string | null;
}

/** Returns the MessageId. */
export class SnsPublishOperator extends AwsBaseOperator {
  static template_fields = ['target_arn', 'message', 'subject', 'message_attributes', 'message_deduplication_id', 'message_group_id'];
  target_arn: string;
  message: string;
  subject: string | null;
  message_attributes: Record<string, SnsAttribute> | null;
  message_deduplication_id: string | null;
  message_group_id: string | null;

  constructor(options: SnsPublishOptions) {
    const args = withDefaultArgs(options);
    super(args);
    this.target_arn = args.target_arn;
    this.message = args.message;
    this.subject = args.subject ?? null;
    this.message_attributes = args.message_attributes ?? null;
    this.message_deduplication_id = args.message_deduplication_id ?? null;
    this.message_group_id = args.message_group_id ?? null;
  }

  async execute(context: Context): Promise<string | undefined> {
    const sns = await new SnsHook(this.hook_params).get_conn();
    context.log.info(`Sending SNS notification to ${this.target_arn} using ${this.aws_conn_id}:\nsubject=${this.subject}\nmessage=${this.message}`);
    const out = await sns.send(
      new PublishCommand({
        TargetArn: this.target_arn,
        Message: this.message,
        ...(this.subject ? { Subject: this.subject } : {}),
        ...(this.message_attributes ? { MessageAttributes: this.message_attributes } : {}),
        ...(this.message_deduplication_id ? { MessageDeduplicationId: this.message_deduplication_id } : {}),
        ...(this.message_group_id ? { MessageGroupId: this.message_group_id } : {}),
      }),
    );
    return out.MessageId;
  }

  override serializeFields() {
    return { target_arn: this.target_arn, message: this.message, subject: this.subject };
  }
}

export interface SqsPublishOptions extends BaseOperatorOptions, AwsOptions {
  /** the queue URL */
  sqs_queue: string;
  message_content: string;
  message_attributes?: Record<string, SqsAttribute> | null;
  delay_seconds?: number;
  message_group_id?: string | null;
}

/** Returns SendMessage's answer (MessageId, MD5OfMessageBody …), as Airflow does. */
export class SqsPublishOperator extends AwsBaseOperator {
  static template_fields = ['sqs_queue', 'message_content', 'delay_seconds', 'message_attributes', 'message_group_id'];
  sqs_queue: string;
  message_content: string;
  message_attributes: Record<string, SqsAttribute> | null;
  delay_seconds: number;
  message_group_id: string | null;

  constructor(options: SqsPublishOptions) {
    const args = withDefaultArgs(options);
    super(args);
    this.sqs_queue = args.sqs_queue;
    this.message_content = args.message_content;
    this.message_attributes = args.message_attributes ?? null;
    this.delay_seconds = args.delay_seconds ?? 0;
    this.message_group_id = args.message_group_id ?? null;
  }

  async execute(context: Context): Promise<Record<string, unknown>> {
    const sqs = await new SqsHook(this.hook_params).get_conn();
    const { $metadata: _meta, ...result } = await sqs.send(
      new SendMessageCommand({
        QueueUrl: this.sqs_queue,
        MessageBody: this.message_content,
        DelaySeconds: Number(this.delay_seconds),
        ...(this.message_attributes ? { MessageAttributes: this.message_attributes } : {}),
        ...(this.message_group_id ? { MessageGroupId: this.message_group_id } : {}),
      }),
    );
    context.log.info(`send_message result: ${JSON.stringify(result)}`);
    return result;
  }

  override serializeFields() {
    return { sqs_queue: this.sqs_queue, message_content: this.message_content };
  }
}

export interface SqsSensorOptions extends BaseSensorOptions, AwsOptions {
  sqs_queue: string;
  max_messages?: number;
  num_batches?: number;
  wait_time_seconds?: number;
  visibility_timeout?: number | null;
  /** keep only messages whose body (literal) or a JSON path value (jsonpath: dotted path) is among match values */
  message_filtering?: 'literal' | 'jsonpath' | null;
  message_filtering_match_values?: unknown[] | null;
  message_filtering_config?: string | null;
  delete_message_on_reception?: boolean;
}

/** Done when messages arrived; they are pushed as XCom `messages` (and deleted unless told not to). */
export class SqsSensor extends AwsBaseSensor {
  static template_fields = ['sqs_queue', 'max_messages', 'message_filtering_config'];
  sqs_queue: string;
  max_messages: number;
  num_batches: number;
  wait_time_seconds: number;
  visibility_timeout: number | null;
  message_filtering: 'literal' | 'jsonpath' | null;
  message_filtering_match_values: unknown[] | null;
  message_filtering_config: string | null;
  delete_message_on_reception: boolean;

  constructor(options: SqsSensorOptions) {
    const args = withDefaultArgs(options);
    super(args);
    this.sqs_queue = args.sqs_queue;
    this.max_messages = args.max_messages ?? 5;
    this.num_batches = args.num_batches ?? 1;
    this.wait_time_seconds = args.wait_time_seconds ?? 1;
    this.visibility_timeout = args.visibility_timeout ?? null;
    this.message_filtering = args.message_filtering ?? null;
    this.message_filtering_match_values = args.message_filtering_match_values ?? null;
    this.message_filtering_config = args.message_filtering_config ?? null;
    this.delete_message_on_reception = args.delete_message_on_reception ?? true;
  }

  #matches(message: Message): boolean {
    if (!this.message_filtering) return true;
    const values = this.message_filtering_match_values;
    if (this.message_filtering === 'literal') return values ? values.includes(message.Body) : true;
    let value: unknown;
    try {
      value = (this.message_filtering_config ?? '').replace(/^\$\.?/, '').split('.').filter(Boolean).reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], JSON.parse(message.Body ?? ''));
    } catch {
      return false;
    }
    return value !== undefined && (values ? values.includes(value) : true);
  }

  async poke(context: Context): Promise<boolean> {
    const sqs = await new SqsHook(this.hook_params).get_conn();
    const received: Message[] = [];
    for (let batch = 0; batch < this.num_batches; batch++) {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.sqs_queue,
          MaxNumberOfMessages: Number(this.max_messages),
          WaitTimeSeconds: this.wait_time_seconds,
          ...(this.visibility_timeout !== null ? { VisibilityTimeout: this.visibility_timeout } : {}),
          MessageAttributeNames: ['All'],
        }),
      );
      const messages = (out.Messages ?? []).filter((m) => this.#matches(m));
      received.push(...messages);
      if (messages.length && this.delete_message_on_reception) {
        const del = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: this.sqs_queue, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
        if (del.Failed?.length) throw new AirflowException(`Delete SQS Messages failed ${JSON.stringify(del)} for messages ${JSON.stringify(messages)}`);
      }
    }
    if (!received.length) return false;
    context.log.info(`Received ${received.length} message(s) from ${this.sqs_queue}`);
    await context.ti.xcom_push('messages', received);
    return true;
  }

  override serializeFields() {
    return { ...super.serializeFields(), sqs_queue: this.sqs_queue, max_messages: this.max_messages };
  }
}
