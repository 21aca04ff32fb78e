/**
 * Glue: GlueJobOperator (creates the job from script_location when it does not
 * exist, starts a run with script_args, waits, returns the run id),
 * GlueJobSensor, GlueCrawlerOperator (creates or updates the crawler, runs it,
 * waits, returns its name).
 */
import {
  CreateCrawlerCommand,
  type CreateCrawlerCommandInput,
  CreateJobCommand,
  type CreateJobCommandInput,
  GetCrawlerCommand,
  GetJobCommand,
  GetJobRunCommand,
  StartCrawlerCommand,
  StartJobRunCommand,
  UpdateCrawlerCommand,
} from '@aws-sdk/client-glue';
import { AirflowException, type BaseOperatorOptions, type BaseSensorOptions, type Context, isFailurePayload, withDefaultArgs } from '@updraft/sdk';
import { type AwsOptions, sleep } from '../aws-options.ts';
import { GlueJobHook } from '../hooks/services.ts';
import { GLUE_FAILURE_STATES, GlueJobCompleteTrigger } from '../triggers/services.ts';
import { AwsBaseOperator, AwsBaseSensor } from './aws-base.ts';

function isNotFound(error: unknown): boolean {
  return (error as { name?: string })?.name === 'EntityNotFoundException';
}

export interface GlueJobOperatorOptions extends BaseOperatorOptions, AwsOptions {
  job_name?: string;
  job_desc?: string;
  /** s3:// URL of the job's script: the job is created with it when it does not exist */
  script_location?: string | null;
  script_args?: Record<string, string>;
  iam_role_name?: string | null;
  iam_role_arn?: string | null;
  num_of_dpus?: number | null;
  create_job_kwargs?: Record<string, unknown> | null;
  run_job_kwargs?: Record<string, unknown> | null;
  wait_for_completion?: boolean;
  /** seconds between status checks */
  job_poll_interval?: number;
  deferrable?: boolean;
}

export class GlueJobOperator extends AwsBaseOperator {
  static template_fields = ['job_name', 'script_location', 'script_args', 'create_job_kwargs', 'iam_role_name', 'iam_role_arn'];
  job_name: string;
  job_desc: string;
  script_location: string | null;
  script_args: Record<string, string>;
  iam_role_name: string | null;
  iam_role_arn: string | null;
  num_of_dpus: number | null;
  create_job_kwargs: Record<string, unknown>;
  run_job_kwargs: Record<string, unknown>;
  wait_for_completion: boolean;
  job_poll_interval: number;
  deferrable: boolean;

  constructor(options: GlueJobOperatorOptions) {
    const args = withDefaultArgs(options);
    super(args);
    this.job_name = args.job_name ?? 'aws_glue_default_job';
    this.job_desc = args.job_desc ?? 'AWS Glue Job with Airflow';
    this.script_location = args.script_location ?? null;
    this.script_args = args.script_args ?? {};
    this.iam_role_name = args.iam_role_name ?? null;
    this.iam_role_arn = args.iam_role_arn ?? null;
    this.num_of_dpus = args.num_of_dpus ?? null;
    this.create_job_kwargs = args.create_job_kwargs ?? {};
    this.run_job_kwargs = args.run_job_kwargs ?? {};
    this.wait_for_completion = args.wait_for_completion ?? true;
    this.job_poll_interval = args.job_poll_interval ?? 6;
    this.deferrable = args.deferrable ?? false;
  }

  async execute(context: Context): Promise<string> {
    const glue = await new GlueJobHook(this.hook_params).get_conn();
    try {
      await glue.send(new GetJobCommand({ JobName: this.job_name }));
    } catch (error) {
      if (!isNotFound(error) || !this.script_location) throw error;
      const role = this.iam_role_arn ?? this.iam_role_name;
      if (!role) throw new AirflowException(`task '${this.task_id}': creating Glue job ${this.job_name} needs iam_role_name or iam_role_arn`);
      context.log.info(`Creating Glue job ${this.job_name} from ${this.script_location}`);
      const input = {
        Name: this.job_name,
        Description: this.job_desc,
        Role: role,
        Command: { Name: 'glueetl', ScriptLocation: this.script_location, PythonVersion: '3' },
        ...(this.num_of_dpus ? { MaxCapacity: this.num_of_dpus } : {}),
        ...this.create_job_kwargs,
      } as CreateJobCommandInput;
      await glue.send(new CreateJobCommand(input));
    }
    const run = await glue.send(new StartJobRunCommand({ JobName: this.job_name, Arguments: this.script_args, ...this.run_job_kwargs }));
    const runId = run.JobRunId;
    if (!runId) throw new AirflowException(`Glue did not return a run id for job ${this.job_name}`);
    context.log.info(`Initializing AWS Glue Job: ${this.job_name}. Run Id: ${runId}`);
    if (this.deferrable) {
      this.defer({ trigger: new GlueJobCompleteTrigger({ job_name: this.job_name, run_id: runId, ...this.hook_params, poke_interval: this.job_poll_interval }), method_name: 'execute_complete' });
    }
    if (this.wait_for_completion) {
      for (;;) {
        const jr = (await glue.send(new GetJobRunCommand({ JobName: this.job_name, RunId: runId }))).JobRun;
        const state = jr?.JobRunState ?? 'UNKNOWN';
        if (state === 'SUCCEEDED') break;
        if (GLUE_FAILURE_STATES.includes(state)) throw new AirflowException(`Exiting Job ${runId} Run State: ${state}${jr?.ErrorMessage ? `: ${jr.ErrorMessage}` : ''}`);
        context.log.info(`Polling for AWS Glue Job ${this.job_name} current run state with status ${state}`);
        await sleep(this.job_poll_interval, context.signal);
      }
      context.log.info(`AWS Glue Job: ${this.job_name} status: SUCCEEDED. Run Id: ${runId}`);
    }
    return runId;
  }

  execute_complete(_context: Context, event: unknown): string {
    if (isFailurePayload(event)) throw new AirflowException(event.message ?? 'Glue job failed');
    return (event as { value: string }).value;
  }

  override serializeFields() {
    return { job_name: this.job_name, script_location: this.script_location, script_args: this.script_args };
  }
}

export interface GlueJobSensorOptions extends BaseSensorOptions, AwsOptions {
  job_name: string;
  run_id: string;
}

export class GlueJobSensor extends AwsBaseSensor {
  static template_fields = ['job_name', 'run_id'];
  job_name: string;
  run_id: string;

  constructor(options: GlueJobSensorOptions) {
    const args = withDefaultArgs(options);
    super(args);
    this.job_name = args.job_name;
    this.run_id = args.run_id;
  }

  async poke(context: Context): Promise<boolean> {
    const glue = await new GlueJobHook(this.hook_params).get_conn();
    context.log.info(`Poking for job run status : for Glue Job ${this.job_name} and ID ${this.run_id}`);
    const jr = (await glue.send(new GetJobRunCommand({ JobName: this.job_name, RunId: this.run_id }))).JobRun;
    const state = jr?.JobRunState ?? 'UNKNOWN';
    if (state === 'SUCCEEDED') return true;
    if (GLUE_FAILURE_STATES.includes(state)) throw new AirflowException(`Exiting Job ${this.run_id} Run State: ${state}${jr?.ErrorMessage ? `: ${jr.ErrorMessage}` : ''}`);
    return false;
  }

  override serializeFields() {
    return { ...super.serializeFields(), job_name: this.job_name, run_id: this.run_id };
  }
}

export interface GlueCrawlerOperatorOptions extends BaseOperatorOptions, AwsOptions {
  /** the CreateCrawler request (Name, Role, DatabaseName, Targets …) */
  config: Record<string, unknown>;
  poll_interval?: number;
  wait_for_completion?: boolean;
}

export class GlueCrawlerOperator extends AwsBaseOperator {
  static template_fields = ['config'];
  config: Record<string, unknown>;
  poll_interval: number;
  wait_for_completion: boolean;

  constructor(options: GlueCrawlerOperatorOptions) {
    const args = withDefaultArgs(options);
    super(args);
    this.config = args.config;
    this.poll_interval = args.poll_interval ?? 5;
    this.wait_for_completion = args.wait_for_completion ?? true;
  }

  async execute(context: Context): Promise<string> {
    const glue = await new GlueJobHook(this.hook_params).get_conn();
    const name = this.config.Name as string;
    if (!name) throw new AirflowException(`task '${this.task_id}': config.Name is required`);
    let exists = true;
    try {
      await glue.send(new GetCrawlerCommand({ Name: name }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      exists = false;
    }
    if (exists) await glue.send(new UpdateCrawlerCommand(this.config as never));
    else await glue.send(new CreateCrawlerCommand(this.config as unknown as CreateCrawlerCommandInput));
    context.log.info(`Triggering AWS Glue Crawler ${name}`);
    await glue.send(new StartCrawlerCommand({ Name: name }));
    if (this.wait_for_completion) {
      for (;;) {
        const crawler = (await glue.send(new GetCrawlerCommand({ Name: name }))).Crawler;
        if (crawler?.State === 'READY') {
          const status = crawler.LastCrawl?.Status;
          if (status === 'FAILED' || status === 'CANCELLED') throw new AirflowException(`Status: ${status}: ${crawler.LastCrawl?.ErrorMessage ?? ''}`);
          break;
        }
        context.log.info(`Crawler ${name} is ${crawler?.State}`);
        await sleep(this.poll_interval, context.signal);
      }
    }
    return name;
  }

  override serializeFields() {
    return { config: this.config };
  }
}
