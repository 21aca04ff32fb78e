/**
 * Every trigger rebuilds from what it serializes, the way the triggerer does
 * it: import the classpath's module, take the named export, pass the kwargs
 * (which must survive JSON, and hold no credentials).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BaseTrigger } from '@updraft/sdk';
import {
  AthenaTrigger,
  EmrStateTrigger,
  GlueJobCompleteTrigger,
  RedshiftDataTrigger,
  S3KeyTrigger,
  StepFunctionsExecutionCompleteTrigger,
} from '../src/index.ts';

test('each trigger serializes to @updraft/provider-aws#<export> and JSON kwargs that rebuild an equal trigger', async () => {
  const triggers: BaseTrigger[] = [
    new S3KeyTrigger({ bucket_name: 'b', bucket_key: ['k/*.csv'], wildcard_match: true, aws_conn_id: 'aws_default', poke_interval: 5 }),
    new EmrStateTrigger({ resource: 'step', job_flow_id: 'j-1', step_id: 's-1', target_states: ['COMPLETED'], failed_states: ['FAILED'], aws_conn_id: 'aws_default' }),
    new AthenaTrigger({ query_execution_id: 'q', aws_conn_id: null, max_attempts: 3 }),
    new StepFunctionsExecutionCompleteTrigger({ execution_arn: 'arn:aws:states:us-east-1:1:execution:m:e' }),
    new GlueJobCompleteTrigger({ job_name: 'j', run_id: 'jr_1', region_name: 'eu-west-1' }),
    new RedshiftDataTrigger({ statement_id: 'st' }),
  ];
  for (const trigger of triggers) {
    const [classpath, kwargs] = trigger.serialize();
    const [module, name] = classpath.split('#');
    assert.equal(module, '@updraft/provider-aws');
    const exported = (await import(module))[name] as new (kwargs: Record<string, unknown>) => BaseTrigger;
    assert.equal(typeof exported, 'function', `${classpath} is exported`);
    const rebuilt = new exported(JSON.parse(JSON.stringify(kwargs)));
    assert.equal(rebuilt.constructor.name, trigger.constructor.name);
    assert.deepEqual(rebuilt.serialize(), [classpath, kwargs]);
    assert.doesNotMatch(JSON.stringify(kwargs), /secret|password|accessKey/i);
  }
});
