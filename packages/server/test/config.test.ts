/**
 * Configuration loading: schema defaults (some derived from $UPDRAFT_HOME),
 * $UPDRAFT_HOME/updraft.cfg, AIRFLOW__SECTION__KEY and UPDRAFT__SECTION__KEY,
 * in that order of precedence, with the source of every value reported and
 * malformed values refused with the key and where the value came from.
 * Every test passes its own env object; process.env is never touched.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config/config.ts';
import { CONFIG_KEYS } from '../src/config/schema.ts';

const homes: string[] = [];

after(() => {
  for (const home of homes) fs.rmSync(home, { recursive: true, force: true });
});

/** A fresh $UPDRAFT_HOME, with an updraft.cfg when `cfg` is given. */
function home(cfg?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-config-test-'));
  homes.push(dir);
  if (cfg !== undefined) fs.writeFileSync(path.join(dir, 'updraft.cfg'), cfg);
  return dir;
}

/** Runs `fn`, which must throw a ConfigError; returns its message. */
function configError(fn: () => unknown): string {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${caught === undefined ? 'no error' : String(caught)}`);
  return caught.message;
}

describe('defaults', () => {
  test('every key has its schema default, paths derived from $UPDRAFT_HOME, all with source "default"', () => {
    const dir = home();
    const c = loadConfig({ UPDRAFT_HOME: dir });
    assert.equal(c.home, path.resolve(dir));
    assert.equal(c.file, path.join(dir, 'updraft.cfg'));
    assert.deepEqual(c.warnings, []);

    assert.equal(c.str('core', 'dags_folder'), path.join(dir, 'dags'));
    assert.equal(c.str('logging', 'base_log_folder'), path.join(dir, 'logs'));
    assert.equal(c.int('core', 'parallelism'), 32);
    assert.equal(c.int('api', 'port'), 8080);
    assert.equal(c.str('api', 'host'), '127.0.0.1');
    assert.equal(c.bool('core', 'load_examples'), true);
    assert.equal(c.bool('api', 'expose_config'), false);
    assert.equal(c.float('core', 'dagbag_import_timeout'), 30);
    assert.equal(c.float('scheduler', 'scheduler_heartbeat_sec'), 5);
    assert.equal(c.str('core', 'executor'), 'LocalExecutor');
    assert.equal(c.str('logging', 'logging_level'), 'INFO');
    assert.equal(c.str('database', 'sql_alchemy_conn'), '');

    // typed values, not strings
    assert.equal(typeof c.get('core', 'parallelism')?.value, 'number');
    assert.equal(typeof c.get('core', 'load_examples')?.value, 'boolean');

    const list = c.list();
    assert.equal(list.length, CONFIG_KEYS.length);
    assert.ok(list.every((e) => e.source === 'default'), JSON.stringify(list.filter((e) => e.source !== 'default')));
    assert.equal(c.get('database', 'sql_alchemy_conn')?.secret, true);
    assert.equal(c.get('api_auth', 'jwt_secret')?.secret, true);
    assert.equal(c.get('core', 'parallelism')?.secret, false);
  });

  test('a relative $UPDRAFT_HOME is resolved, and the derived paths follow it', () => {
    const dir = home();
    const rel = path.relative(process.cwd(), dir);
    const c = loadConfig({ UPDRAFT_HOME: rel });
    assert.equal(c.home, dir);
    assert.equal(c.str('core', 'dags_folder'), path.join(dir, 'dags'));
  });

  test('unknown keys are refused by the getters and by with()', () => {
    const c = loadConfig({ UPDRAFT_HOME: home() });
    assert.match(configError(() => c.str('core', 'no_such_key')), /\[core\] no_such_key/);
    assert.equal(c.get('core', 'no_such_key'), undefined);
    assert.match(configError(() => c.with({ 'core.no_such_key': 1 })), /core\.no_such_key/);
  });
});

describe('updraft.cfg', () => {
  test('values from the file are parsed by type and reported with source "updraft.cfg"', () => {
    const dir = home(
      [
        '# comment',
        '[core]',
        'parallelism = 7',
        'load_examples = False',
        'dagbag_import_timeout = 2.5',
        'dags_folder = my/dags',
        'executor = localexecutor',
        '',
        '[logging]',
        'logging_level = debug',
        'base_log_folder = {AIRFLOW_HOME}/elsewhere',
        '',
        '[database]',
        'sql_alchemy_conn = postgresql://u:p@db.example:5432/updraft?sslmode=require',
        '',
        '[api]',
        'port = 9090',
        'host = 0.0.0.0',
      ].join('\n'),
    );
    const c = loadConfig({ UPDRAFT_HOME: dir });
    assert.deepEqual(c.warnings, []);
    assert.equal(c.int('core', 'parallelism'), 7);
    assert.equal(c.bool('core', 'load_examples'), false);
    assert.equal(c.float('core', 'dagbag_import_timeout'), 2.5);
    // relative paths are relative to $UPDRAFT_HOME; {AIRFLOW_HOME} is replaced
    assert.equal(c.str('core', 'dags_folder'), path.join(dir, 'my', 'dags'));
    assert.equal(c.str('logging', 'base_log_folder'), path.join(dir, 'elsewhere'));
    // choices are matched case-insensitively and stored in their canonical spelling
    assert.equal(c.str('core', 'executor'), 'LocalExecutor');
    assert.equal(c.str('logging', 'logging_level'), 'DEBUG');
    // a value that itself contains '=' is kept whole
    assert.equal(c.str('database', 'sql_alchemy_conn'), 'postgresql://u:p@db.example:5432/updraft?sslmode=require');
    assert.equal(c.int('api', 'port'), 9090);
    assert.equal(c.str('api', 'host'), '0.0.0.0');

    for (const [section, key] of [
      ['core', 'parallelism'],
      ['core', 'load_examples'],
      ['logging', 'logging_level'],
      ['api', 'port'],
    ]) {
      assert.equal(c.get(section, key)?.source, 'updraft.cfg', `${section}.${key}`);
    }
    // keys the file does not mention keep their defaults
    assert.equal(c.get('core', 'max_active_runs_per_dag')?.source, 'default');
    assert.equal(c.int('core', 'max_active_runs_per_dag'), 16);
  });

  test('read as Python configparser reads airflow.cfg: # and ; inside values are kept, key: value works, comments are whole lines', () => {
    const dir = home('# a comment\n[database]\nsql_alchemy_conn = postgresql://user:p#ss;word@db.example:5432/airflow\n; another comment\n[core]\nparallelism: 12\n');
    const c = loadConfig({ UPDRAFT_HOME: dir });
    assert.equal(c.str('database', 'sql_alchemy_conn'), 'postgresql://user:p#ss;word@db.example:5432/airflow');
    assert.equal(c.int('core', 'parallelism'), 12);
    const broken = home('[core]\nthis line has no equals sign\n');
    assert.match(configError(() => loadConfig({ UPDRAFT_HOME: broken })), /updraft\.cfg, line 2: expected "key = value"/);
  });

  test('~ in a path value is the home directory of the user', () => {
    const dir = home('[core]\ndags_folder = ~/updraft-dags\n');
    const c = loadConfig({ UPDRAFT_HOME: dir });
    assert.equal(c.str('core', 'dags_folder'), path.join(os.homedir(), 'updraft-dags'));
  });

  test('unknown keys, unknown sections and keys outside a section produce warnings naming them', () => {
    const dir = home(['stray_setting = 1', '[core]', 'parallelism = 4', 'paralelism = 5', '[scheduler]', 'bogus_key = x', '[no_such_section]', 'anything = 1'].join('\n'));
    const c = loadConfig({ UPDRAFT_HOME: dir });
    // the known key still applies
    assert.equal(c.int('core', 'parallelism'), 4);
    assert.equal(c.warnings.length, 4, c.warnings.join('\n'));
    const text = c.warnings.join('\n');
    assert.match(text, /unknown key \[core\] paralelism/);
    assert.match(text, /unknown key \[scheduler\] bogus_key/);
    assert.match(text, /unknown key \[no_such_section\] anything/);
    assert.match(text, /'stray_setting' is outside any \[section\]/);
    // each warning names the file
    assert.ok(c.warnings.every((w) => w.startsWith(path.join(dir, 'updraft.cfg'))), text);
    // unknown keys do not become entries
    assert.equal(c.get('core', 'paralelism'), undefined);
  });
});

describe('environment overrides', () => {
  test('AIRFLOW__SECTION__KEY overrides the file, UPDRAFT__SECTION__KEY overrides both', () => {
    const dir = home('[core]\nparallelism = 7\nmax_active_tasks_per_dag = 3\ndefault_timezone = Europe/Paris\n');
    const c = loadConfig({
      UPDRAFT_HOME: dir,
      // both set: ours wins
      AIRFLOW__CORE__PARALLELISM: '8',
      UPDRAFT__CORE__PARALLELISM: '9',
      // only Airflow's: it overrides the file
      AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG: '5',
      // only Airflow's, key not in the file: it overrides the default
      AIRFLOW__SCHEDULER__CATCHUP_BY_DEFAULT: 'true',
      // only ours, key not in the file
      UPDRAFT__API__PORT: '0',
      UPDRAFT__DAG_PROCESSOR__PARSING_PROCESSES: ' 3 ',
      // a name in the wrong case is not an override
      updraft__core__default_timezone: 'Asia/Tokyo',
    });
    assert.equal(c.int('core', 'parallelism'), 9);
    assert.equal(c.get('core', 'parallelism')?.source, 'env UPDRAFT__CORE__PARALLELISM');
    assert.equal(c.int('core', 'max_active_tasks_per_dag'), 5);
    assert.equal(c.get('core', 'max_active_tasks_per_dag')?.source, 'env AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG');
    assert.equal(c.bool('scheduler', 'catchup_by_default'), true);
    assert.equal(c.get('scheduler', 'catchup_by_default')?.source, 'env AIRFLOW__SCHEDULER__CATCHUP_BY_DEFAULT');
    assert.equal(c.int('api', 'port'), 0);
    assert.equal(c.get('api', 'port')?.source, 'env UPDRAFT__API__PORT');
    assert.equal(c.int('dag_processor', 'parsing_processes'), 3);
    assert.equal(c.str('core', 'default_timezone'), 'Europe/Paris');
    assert.equal(c.get('core', 'default_timezone')?.source, 'updraft.cfg');
    assert.equal(c.get('core', 'executor')?.source, 'default');
  });

  test('an empty string in the environment is a value, not an absent variable', () => {
    const dir = home('[api]\nbase_url = http://from-file:8080\n');
    const c = loadConfig({ UPDRAFT_HOME: dir, UPDRAFT__API__BASE_URL: '' });
    assert.equal(c.str('api', 'base_url'), '');
    assert.equal(c.get('api', 'base_url')?.source, 'env UPDRAFT__API__BASE_URL');
  });

  test('a path from the environment is resolved against $UPDRAFT_HOME', () => {
    const dir = home();
    const c = loadConfig({ UPDRAFT_HOME: dir, AIRFLOW__CORE__DAGS_FOLDER: '{UPDRAFT_HOME}/x/../dags2' });
    assert.equal(c.str('core', 'dags_folder'), path.join(dir, 'dags2'));
    const abs = loadConfig({ UPDRAFT_HOME: dir, UPDRAFT__CORE__DAGS_FOLDER: '/srv/dags' });
    assert.equal(abs.str('core', 'dags_folder'), '/srv/dags');
  });

  test('list() reports value and source per entry, as `updraft config list` shows them; with() marks values "cli"', () => {
    const dir = home('[core]\nparallelism = 7\n');
    const c = loadConfig({ UPDRAFT_HOME: dir, AIRFLOW__API__PORT: '1234', UPDRAFT__DATABASE__SQL_ALCHEMY_CONN: 'postgresql://x@y/z' });
    const entry = (name: string) => c.list().find((e) => `${e.section}.${e.key}` === name);
    assert.deepEqual(entry('core.parallelism'), { section: 'core', key: 'parallelism', value: 7, source: 'updraft.cfg', secret: false });
    assert.deepEqual(entry('api.port'), { section: 'api', key: 'port', value: 1234, source: 'env AIRFLOW__API__PORT', secret: false });
    assert.deepEqual(entry('database.sql_alchemy_conn'), {
      section: 'database',
      key: 'sql_alchemy_conn',
      value: 'postgresql://x@y/z',
      source: 'env UPDRAFT__DATABASE__SQL_ALCHEMY_CONN',
      secret: true,
    });
    assert.equal(entry('core.executor')?.source, 'default');
    // entries come in schema order, one per key
    assert.deepEqual(
      c.list().map((e) => `${e.section}.${e.key}`),
      CONFIG_KEYS.map((k) => `${k.section}.${k.key}`),
    );

    const flagged = c.with({ 'api.port': 4321 });
    assert.equal(flagged.int('api', 'port'), 4321);
    assert.equal(flagged.get('api', 'port')?.source, 'cli');
    assert.equal(flagged.get('core', 'parallelism')?.source, 'updraft.cfg');
    // the original is unchanged
    assert.equal(c.int('api', 'port'), 1234);
  });
});

describe('malformed values', () => {
  const cases: { name: string; cfg?: string; env?: Record<string, string>; where: RegExp; reason: RegExp }[] = [
    {
      name: 'an int that is not a number, from the file',
      cfg: '[core]\nparallelism = lots\n',
      where: /\[core\] parallelism \(from updraft\.cfg\)/,
      reason: /'lots'.*expected an integer/,
    },
    {
      name: 'an int with a fraction, from AIRFLOW__',
      env: { AIRFLOW__API__PORT: '80.5' },
      where: /\[api\] port \(from env AIRFLOW__API__PORT\)/,
      reason: /expected an integer/,
    },
    {
      name: 'an int below its minimum, from UPDRAFT__',
      env: { UPDRAFT__CORE__PARALLELISM: '0' },
      where: /\[core\] parallelism \(from env UPDRAFT__CORE__PARALLELISM\)/,
      reason: /must be at least 1/,
    },
    {
      name: 'a float that is not a number',
      env: { UPDRAFT__SCHEDULER__SCHEDULER_HEARTBEAT_SEC: 'fast' },
      where: /\[scheduler\] scheduler_heartbeat_sec \(from env UPDRAFT__SCHEDULER__SCHEDULER_HEARTBEAT_SEC\)/,
      reason: /'fast'.*expected a number/,
    },
    {
      name: 'an empty float',
      cfg: '[core]\ndagbag_import_timeout =\n',
      where: /\[core\] dagbag_import_timeout \(from updraft\.cfg\)/,
      reason: /expected a number/,
    },
    {
      name: 'a float below its minimum',
      env: { AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT: '0.01' },
      where: /\[core\] dagbag_import_timeout \(from env AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT\)/,
      reason: /must be at least 0\.1/,
    },
    {
      name: 'a bool that is neither true nor false',
      cfg: '[core]\nload_examples = maybe\n',
      where: /\[core\] load_examples \(from updraft\.cfg\)/,
      reason: /'maybe'.*expected true or false/,
    },
    {
      name: 'a choice not among the allowed values',
      env: { UPDRAFT__LOGGING__LOGGING_LEVEL: 'LOUD' },
      where: /\[logging\] logging_level \(from env UPDRAFT__LOGGING__LOGGING_LEVEL\)/,
      reason: /'LOUD'.*expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL/,
    },
    {
      name: 'an executor Updraft does not have',
      cfg: '[core]\nexecutor = CeleryExecutor\n',
      where: /\[core\] executor \(from updraft\.cfg\)/,
      reason: /'CeleryExecutor'.*expected one of LocalExecutor/,
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const dir = home(c.cfg);
      const message = configError(() => loadConfig({ UPDRAFT_HOME: dir, ...c.env }));
      assert.match(message, c.where);
      assert.match(message, c.reason);
    });
  }

  test('a bad value in the file is not reported when the environment overrides it', () => {
    const dir = home('[core]\nparallelism = lots\n');
    const c = loadConfig({ UPDRAFT_HOME: dir, UPDRAFT__CORE__PARALLELISM: '3' });
    assert.equal(c.int('core', 'parallelism'), 3);
  });

  test('bool spellings Airflow accepts', () => {
    const dir = home();
    for (const [raw, expected] of [
      ['True', true],
      ['t', true],
      ['1', true],
      ['yes', true],
      ['ON', true],
      ['False', false],
      ['f', false],
      ['0', false],
      ['no', false],
      ['off', false],
    ] as const) {
      assert.equal(loadConfig({ UPDRAFT_HOME: dir, UPDRAFT__API__EXPOSE_CONFIG: raw }).bool('api', 'expose_config'), expected, raw);
    }
  });
});
