/**
 * The aws connection, the client factory, S3Hook, the S3 operators and
 * S3KeySensor (poke, reschedule, deferrable with its trigger) against a real
 * moto_server.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { AirflowRescheduleException, TaskDeferred, setTaskRuntime } from '@updraft/sdk';
import {
  S3CopyObjectOperator,
  S3CreateBucketOperator,
  S3CreateObjectOperator,
  S3DeleteBucketOperator,
  S3DeleteObjectsOperator,
  S3Hook,
  S3KeySensor,
  S3KeyTrigger,
  S3ListOperator,
  awsConfigFromConnection,
  createClient,
  destroyClients,
  fnmatch,
  resolveAwsConfig,
} from '../src/index.ts';
import { type Moto, awsConnection, installRuntime, motoMissing, startMoto, taskContext, useFakeAwsEnvironment } from './support.ts';

const skip = motoMissing();
let moto: Moto;

describe('S3 and the aws connection (moto_server)', { skip }, () => {
  before(async () => {
    useFakeAwsEnvironment();
    moto = await startMoto();
  });
  after(async () => {
    destroyClients();
    await moto?.stop();
  });

  test('connection fields: login/password are the keys, extra the region, endpoint, per-service endpoint and role', () => {
    const config = awsConfigFromConnection({
      conn_id: 'c',
      login: 'AKID',
      password: 'SECRET',
      extra_dejson: { region_name: 'eu-west-1', endpoint_url: 'http://a', service_config: { s3: { endpoint_url: 'http://b' } }, role_arn: 'arn:aws:iam::123456789012:role/x' },
    });
    assert.deepEqual(config.credentials, { accessKeyId: 'AKID', secretAccessKey: 'SECRET' });
    assert.equal(config.region_name, 'eu-west-1');
    assert.equal(config.service_config.s3.endpoint_url, 'http://b');
    assert.equal(config.role_arn, 'arn:aws:iam::123456789012:role/x');
    assert.throws(() => awsConfigFromConnection({ conn_id: 'c', login: 'AKID', password: null, extra_dejson: {} }), /access key id but no secret/);
    assert.throws(() => awsConfigFromConnection({ conn_id: 'c', login: null, password: null, extra_dejson: { service_config: 'x' } }), /service_config must be an object/);
  });

  test('hook: put, exists, get, read JSON, list with prefix and wildcard, copy, delete', async () => {
    installRuntime([awsConnection('aws_default', moto.endpoint)]);
    const hook = new S3Hook();
    await hook.create_bucket('work');
    assert.equal(await hook.check_for_bucket('work'), true);
    assert.equal(await hook.check_for_bucket('nope'), false);
    await hook.load_string('{"a": [1, 2]}', 'config/a.json', 'work');
    await hook.load_string('x', 's3://work/config/b.txt');
    await hook.load_string('y', 'data/2024/01/part-0.csv', 'work');
    await assert.rejects(hook.load_string('again', 'config/a.json', 'work'), /The key config\/a.json already exists/);
    assert.deepEqual(await hook.read_json('config/a.json', 'work'), { a: [1, 2] });
    assert.equal(await hook.read_key('s3://work/config/b.txt'), 'x');
    assert.equal((await hook.get_key('config/b.txt', 'work')).Size, 1);
    assert.deepEqual(await hook.list_keys('work', 'config/'), ['config/a.json', 'config/b.txt']);
    assert.deepEqual(await hook.list_prefixes('work', '', '/'), ['config/', 'data/']);
    assert.deepEqual((await hook.list_wildcard_keys('data/*/part-?.csv', 'work')).map((o) => o.Key), ['data/2024/01/part-0.csv']);
    assert.equal(await hook.check_for_wildcard_key('s3://work/config/*.yaml'), false);
    await hook.copy_object('config/a.json', 's3://work/copy/a.json', 'work');
    assert.equal(await hook.check_for_key('copy/a.json', 'work'), true);
    await hook.delete_objects('work', ['copy/a.json']);
    assert.equal(await hook.check_for_key('copy/a.json', 'work'), false);
    await assert.rejects(hook.read_json('config/b.txt', 'work'), /s3:\/\/work\/config\/b.txt is not valid JSON/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 's3hook-'));
    try {
      fs.writeFileSync(path.join(dir, 'up.csv'), 'a,b\n1,2\n');
      await hook.load_file(path.join(dir, 'up.csv'), 's3://work/files/up.csv');
      const down = await hook.download_file('files/up.csv', 'work', dir, true);
      assert.equal(down, path.join(dir, 'up.csv'));
      assert.equal(fs.readFileSync(await hook.download_file('s3://work/files/up.csv', null, dir), 'utf8'), 'a,b\n1,2\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a missing bucket fails with the AWS error code and message, worded as boto does', async () => {
    installRuntime([awsConnection('aws_default', moto.endpoint)]);
    await assert.rejects(new S3Hook().read_key('k', 'no-such-bucket'), (error: Error) => {
      assert.equal(error.name, 'NoSuchBucket');
      assert.match(error.message, /^An error occurred \(NoSuchBucket\) when calling the GetObject operation: The specified bucket does not exist/);
      return true;
    });
  });

  test('no aws_default connection: a warning, then the SDK default chain (environment credentials, AWS_ENDPOINT_URL)', async () => {
    const runtime = installRuntime([]);
    process.env.AWS_ENDPOINT_URL = moto.endpoint;
    try {
      const config = await resolveAwsConfig('aws_default');
      assert.equal(config.credentials, null);
      assert.match(runtime.logs.join('\n'), /Unable to find AWS Connection ID 'aws_default', switching to empty/);
      const hook = new S3Hook();
      await hook.create_bucket('from-default-chain');
      assert.equal(await new S3Hook({ aws_conn_id: null }).check_for_bucket('from-default-chain'), true);
    } finally {
      delete process.env.AWS_ENDPOINT_URL;
    }
  });

  test('missing credentials: the call fails saying so', async () => {
    installRuntime([]);
    destroyClients(); // a new task process: no client has credentials cached
    const saved = { ...process.env };
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) delete process.env[name];
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent';
    process.env.AWS_CONFIG_FILE = '/nonexistent';
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    process.env.AWS_ENDPOINT_URL = moto.endpoint;
    try {
      await assert.rejects(new S3Hook({ aws_conn_id: 'no_creds_here' }).list_keys('work'), /Could not load credentials from any providers/);
    } finally {
      for (const name of ['AWS_SHARED_CREDENTIALS_FILE', 'AWS_CONFIG_FILE', 'AWS_EC2_METADATA_DISABLED', 'AWS_ENDPOINT_URL']) delete process.env[name];
      Object.assign(process.env, saved);
    }
  });

  test('role_arn: the client assumes the role through STS first', async () => {
    installRuntime([awsConnection('role', moto.endpoint, { role_arn: 'arn:aws:iam::123456789012:role/etl', assume_role_kwargs: { RoleSessionName: 'updraft-test' } })]);
    const config = await resolveAwsConfig('role');
    const sts = createClient(STSClient, 'sts', config);
    const me = await sts.send(new GetCallerIdentityCommand({}));
    assert.equal(me.Arn, 'arn:aws:sts::123456789012:assumed-role/etl/updraft-test');
  });

  test('outside a task (a trigger in the triggerer): the connection comes from AIRFLOW_CONN_<ID> in URI or JSON form', async () => {
    setTaskRuntime(null);
    const hook = new S3Hook({ aws_conn_id: 'from_env' });
    process.env.AIRFLOW_CONN_FROM_ENV = `aws://testing:testing@/?region_name=us-east-1&endpoint_url=${encodeURIComponent(moto.endpoint)}`;
    try {
      assert.equal(await hook.check_for_bucket('work'), true);
      process.env.UPDRAFT_CONN_FROM_ENV = JSON.stringify({ conn_type: 'aws', login: 'k', password: 's', extra: { region_name: 'eu-west-1', endpoint_url: 'http://x' } });
      const config = await resolveAwsConfig('from_env');
      assert.deepEqual([config.region_name, config.endpoint_url, config.credentials?.accessKeyId], ['eu-west-1', 'http://x', 'k'], 'UPDRAFT_ wins over AIRFLOW_');
      delete process.env.UPDRAFT_CONN_FROM_ENV;
      delete process.env.AIRFLOW_CONN_FROM_ENV;
      assert.equal((await resolveAwsConfig('from_env')).conn_id, null, 'nothing anywhere: the SDK defaults');
    } finally {
      delete process.env.AIRFLOW_CONN_FROM_ENV;
      delete process.env.UPDRAFT_CONN_FROM_ENV;
    }
  });

  test('config_kwargs: botocore retries and timeouts become the client\'s attempts and request handler timeouts', async () => {
    installRuntime([awsConnection('tuned', 'http://127.0.0.1:9', { config_kwargs: { retries: { max_attempts: 0, mode: 'standard' }, connect_timeout: 1, read_timeout: 2 } })]);
    const s3 = await new S3Hook({ aws_conn_id: 'tuned' }).get_conn();
    assert.equal(await s3.config.maxAttempts(), 1);
    const started = Date.now();
    await assert.rejects(s3.send(new (await import('@aws-sdk/client-s3')).ListBucketsCommand({})), /ECONNREFUSED|connect/);
    assert.ok(Date.now() - started < 2000, 'one try, no retries with back-off');
  });

  test('per-service endpoint override: service_config.s3.endpoint_url wins over endpoint_url', async () => {
    installRuntime([awsConnection('split', 'http://127.0.0.1:9', { service_config: { s3: { endpoint_url: moto.endpoint } } })]);
    assert.equal(await new S3Hook({ aws_conn_id: 'split' }).check_for_bucket('work'), true);
  });

  test('operators: create bucket, create/copy/list/delete objects, delete bucket', async () => {
    const runtime = installRuntime([awsConnection('aws_default', moto.endpoint)]);
    const ctx = taskContext(runtime);
    await new S3CreateBucketOperator({ task_id: 'cb', bucket_name: 'ops' }).execute(ctx);
    await new S3CreateBucketOperator({ task_id: 'cb2', bucket_name: 'ops' }).execute(ctx);
    assert.match(runtime.logs.join('\n'), /Bucket with name: ops already exists/);
    await new S3CreateObjectOperator({ task_id: 'co', s3_bucket: 'ops', s3_key: 'in/a.txt', data: 'hello' }).execute(ctx);
    await new S3CopyObjectOperator({ task_id: 'cp', source_bucket_key: 's3://ops/in/a.txt', dest_bucket_key: 's3://ops/out/a.txt' }).execute(ctx);
    assert.deepEqual(await new S3ListOperator({ task_id: 'ls', bucket: 'ops', prefix: 'out/' }).execute(ctx), ['out/a.txt']);
    await new S3DeleteObjectsOperator({ task_id: 'del', bucket: 'ops', prefix: 'in/' }).execute(ctx);
    assert.deepEqual(await new S3ListOperator({ task_id: 'ls2', bucket: 'ops' }).execute(ctx), ['out/a.txt']);
    await new S3DeleteBucketOperator({ task_id: 'db', bucket_name: 'ops', force_delete: true }).execute(ctx);
    assert.equal(await new S3Hook().check_for_bucket('ops'), false);
    assert.deepEqual(S3CreateObjectOperator.template_fields, ['s3_bucket', 's3_key', 'data']);
  });

  test('S3KeySensor: poke with wildcard and bucket_name, check_fn, reschedule, deferrable with S3KeyTrigger', async () => {
    const runtime = installRuntime([awsConnection('aws_default', moto.endpoint)]);
    const ctx = taskContext(runtime);
    const hook = new S3Hook();
    await hook.create_bucket('landing');
    const wild = new S3KeySensor({ task_id: 'w', bucket_key: 'files/*.csv', bucket_name: 'landing', wildcard_match: true, poke_interval: 0.05, timeout: 5 });
    assert.equal(await wild.poke(ctx), false);
    const waiting = wild.execute(ctx);
    await hook.load_string('a,b', 'files/movies.csv', 'landing');
    assert.equal(await waiting, undefined, 'poke mode returns once the key exists');

    const big = new S3KeySensor({ task_id: 'b', bucket_key: 's3://landing/files/movies.csv', check_fn: (files) => files.every((f) => (f.Size ?? 0) > 100), poke_interval: 0.05, timeout: 0.2 });
    await assert.rejects(big.execute(ctx), /Sensor has timed out/);

    const resched = new S3KeySensor({ task_id: 'r', bucket_key: 'later.txt', bucket_name: 'landing', mode: 'reschedule', poke_interval: 30 });
    await assert.rejects(Promise.resolve(resched.execute(ctx)), (e: unknown) => e instanceof AirflowRescheduleException && e.reschedule_date.getTime() > Date.now() + 25_000);

    const deferred = new S3KeySensor({ task_id: 'd', bucket_key: 'later.txt', bucket_name: 'landing', deferrable: true, poke_interval: 0.05, timeout: 60 });
    let trigger: S3KeyTrigger | null = null;
    await assert.rejects(Promise.resolve(deferred.execute(ctx)), (e: unknown) => {
      assert.ok(e instanceof TaskDeferred);
      assert.equal(e.method_name, 'execute_complete');
      trigger = e.trigger as S3KeyTrigger;
      return true;
    });
    const [classpath, kwargs] = trigger!.serialize();
    assert.equal(classpath, '@updraft/provider-aws#S3KeyTrigger');
    const rebuilt = new S3KeyTrigger(kwargs as never);
    // awaited below: the upload must not outlive the test (and the emulator) under load
    const upload = new Promise((resolve) => setTimeout(resolve, 200)).then(() => hook.load_string('now', 'later.txt', 'landing'));
    for await (const event of rebuilt.run()) {
      assert.deepEqual(event.payload, { status: 'success', message: 'Success criteria met. Exiting.' });
      deferred.execute_complete(ctx, event.payload);
      break;
    }
    await upload;
    assert.throws(() => deferred.execute_complete(ctx, { status: 'error', message: 'boom' }), /boom/);
    assert.equal(fnmatch('files/', 'files/'), true);
  });
});
