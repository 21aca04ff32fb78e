import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { AirflowNotFoundException, BaseHook, Connection, Variable, setTaskRuntime } from '@updraft/sdk';
import { MemoryRuntime } from './helpers.ts';

let runtime: MemoryRuntime;
beforeEach(() => {
  runtime = new MemoryRuntime();
  setTaskRuntime(runtime);
});
afterEach(() => setTaskRuntime(null));

describe('Variable', () => {
  it('gets strings, with a default or an error when missing', async () => {
    runtime.variables.set('k', 'v');
    assert.equal(await Variable.get('k'), 'v');
    assert.equal(await Variable.get('missing', 'fallback'), 'fallback');
    assert.equal(await Variable.get('missing', null), null);
    await assert.rejects(Variable.get('missing'), /Variable missing does not exist/);
  });

  it('parses JSON with getJson', async () => {
    runtime.variables.set('cfg', '{"a":[1,2]}');
    runtime.variables.set('broken', '{');
    assert.deepEqual(await Variable.getJson('cfg'), { a: [1, 2] });
    assert.deepEqual(await Variable.getJson('missing', { d: true }), { d: true });
    await assert.rejects(Variable.getJson('broken'), /not valid JSON/);
  });

  it('sets strings as is and JSON-stringifies anything else', async () => {
    await Variable.set('s', 'text');
    await Variable.set('o', { a: 1 });
    await Variable.set('n', 5);
    assert.deepEqual(Object.fromEntries(runtime.variables), { s: 'text', o: '{"a":1}', n: '5' });
  });

  it('explains that it only works inside tasks', async () => {
    setTaskRuntime(null);
    await assert.rejects(Variable.get('k'), /No task is running/);
  });
});

describe('Connection', () => {
  const info = {
    conn_id: 'db',
    conn_type: 'postgres',
    host: 'localhost',
    schema: 'app',
    login: 'user',
    password: 'secret',
    port: 5432,
    extra: '{"sslmode":"require"}',
    extra_dejson: { sslmode: 'require' },
  };

  it('fetches through the runtime, also via BaseHook.getConnection', async () => {
    runtime.connections.set('db', info);
    const conn = await Connection.get('db');
    assert.ok(conn instanceof Connection);
    assert.equal(conn.host, 'localhost');
    assert.deepEqual(conn.extra_dejson, { sslmode: 'require' });
    assert.equal((await BaseHook.getConnection('db')).port, 5432);
  });

  it("uses Airflow's message for unknown ids", async () => {
    await assert.rejects(Connection.get('nope'), (error: Error) => {
      assert.ok(error instanceof AirflowNotFoundException);
      assert.equal(error.message, 'The conn_id `nope` isn\'t defined');
      return true;
    });
  });
});
