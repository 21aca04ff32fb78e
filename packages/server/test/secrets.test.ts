/**
 * Secrets at rest: AES-256-GCM under [core] fernet_key, the key generated into
 * updraft.cfg on first start (the rest of the file kept), refusal to store
 * secrets when the key is explicitly empty, and `updraft rotate-fernet-key`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../src/api/app.ts';
import { type RunningComponents, startComponents } from '../src/components/standalone.ts';
import { setIniValue } from '../src/config/ini-edit.ts';
import { parseIni } from '../src/config/ini-file.ts';
import { EncryptionKeyError, generateFernetKey, SecretCipher } from '../src/security/encryption.ts';
import { ensureFernetKey } from '../src/security/fernet-key-file.ts';
import { jwtSecret } from '../src/security/secret.ts';
import { SensitiveNames } from '../src/security/sensitive.ts';
import { signToken } from '../src/security/tokens.ts';
import { tempHome, testConfig } from './helpers.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/updraft.js');

describe('encryption', () => {
  const keyA = generateFernetKey();
  const keyB = generateFernetKey();

  test('values round-trip, in a versioned format naming the key, with a fresh nonce each time', () => {
    const cipher = new SecretCipher(keyA);
    const stored = cipher.encrypt('pässwörd ✓');
    assert.match(stored, new RegExp(`^enc:v1:${cipher.primaryKeyId}:[A-Za-z0-9+/]+=*$`));
    assert.equal(cipher.decrypt(stored), 'pässwörd ✓');
    assert.notEqual(cipher.encrypt('same'), cipher.encrypt('same'));
    assert.equal(cipher.decrypt(cipher.encrypt('')), '');
  });

  test('rotation: the first key encrypts, any listed key decrypts, a missing key is named', () => {
    const old = new SecretCipher(keyA).encrypt('v');
    const rotating = new SecretCipher(` ${keyB} , ${keyA} `);
    assert.equal(rotating.decrypt(old), 'v');
    assert.equal(rotating.encrypt('w').split(':')[2], new SecretCipher(keyB).primaryKeyId);
    const idA = new SecretCipher(keyA).primaryKeyId as string;
    assert.throws(() => new SecretCipher(keyB).decrypt(old), (err: Error) => err instanceof EncryptionKeyError && err.message.includes(`encrypted with key ${idA}, which is not in [core] fernet_key`));
    assert.throws(() => new SecretCipher('').encrypt('x'), /No \[core\] fernet_key is configured/);
  });

  test('an altered value fails its integrity check; a malformed key is refused; Airflow\'s URL-safe Fernet keys are accepted', () => {
    const cipher = new SecretCipher(keyA);
    const stored = cipher.encrypt('secret value');
    const raw = Buffer.from(stored.split(':')[3], 'base64');
    raw[raw.length - 20] ^= 1;
    assert.throws(() => cipher.decrypt(`enc:v1:${cipher.primaryKeyId}:${raw.toString('base64')}`), /fails its integrity check/);
    assert.throws(() => new SecretCipher('too-short'), /key 1 is not a base64-encoded 32-byte key/);
    assert.throws(() => new SecretCipher(`${keyA},${keyA.slice(4)}`), /key 2 is not/);
    const urlSafe = Buffer.alloc(32, 0xfb).toString('base64url');
    assert.equal(new SecretCipher(urlSafe).decrypt(new SecretCipher(urlSafe).encrypt('ok')), 'ok');
  });

  test('sensitive names: Airflow\'s list, case-insensitive substrings, plus [core] sensitive_var_conn_names', () => {
    const names = new SensitiveNames(' Pin_Code ,iban');
    for (const key of ['db_password', 'AWS_SECRET_ACCESS_KEY', 'github_token', 'my_apikey', 'Authorization', 'customer_pin_code', 'IBAN_main']) assert.equal(names.isSensitive(key), true, key);
    for (const key of ['work_bucket', 'release_label', 'pin']) assert.equal(names.isSensitive(key), false, key);
    assert.deepEqual(names.redact({ user: 'u', password: 'p', nested: [{ api_key: 'k', other: 1 }], secret: { a: 1, b: ['x'] } }), {
      user: 'u',
      password: '***',
      nested: [{ api_key: '***', other: 1 }],
      secret: { a: '***', b: ['***'] },
    });
  });
});

describe('setIniValue', () => {
  test('adds the key at the end of its section, keeping comments, order and other sections', () => {
    const text = '# my settings\n[core]\n# examples off\nload_examples = False\n\n[api]\nport = 9090\n';
    assert.equal(setIniValue(text, 'core', 'fernet_key', 'K'), '# my settings\n[core]\n# examples off\nload_examples = False\nfernet_key = K\n\n[api]\nport = 9090\n');
  });
  test('replaces an empty key where it is, creates a missing section, keeps CRLF', () => {
    assert.equal(setIniValue('[core]\nfernet_key =\nparallelism = 4\n', 'core', 'fernet_key', 'K'), '[core]\nfernet_key = K\nparallelism = 4\n');
    assert.equal(setIniValue('[api]\nport = 1', 'core', 'fernet_key', 'K'), '[api]\nport = 1\n\n[core]\nfernet_key = K\n');
    assert.equal(setIniValue('', 'core', 'fernet_key', 'K'), '[core]\nfernet_key = K\n');
    assert.equal(setIniValue('[Core]\r\nx = 1\r\n', 'core', 'fernet_key', 'K'), '[Core]\r\nx = 1\r\nfernet_key = K\r\n');
  });
});

describe('the fernet key of an installation', () => {
  let home: string;
  let running: RunningComponents;
  const updraft = (args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, UPDRAFT_HOME: home, ...env }, encoding: 'utf8', timeout: 30_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const cfgKey = () => parseIni(fs.readFileSync(path.join(home, 'updraft.cfg'), 'utf8'), 'updraft.cfg').data.core.fernet_key;

  before(async () => {
    home = tempHome('updraft-secrets-');
    fs.writeFileSync(path.join(home, 'updraft.cfg'), '# written by hand\n[core]\nparallelism = 8\n\n[api]\n# any port\nport = 0\n');
    const lines: string[] = [];
    running = await startComponents(testConfig(home), { apiServer: true }, (l) => lines.push(l));
    assert.ok(lines.some((l) => l.startsWith('Generated [core] fernet_key in')), lines.join('\n'));
  });
  after(async () => {
    await running?.stop({ stopEmbedded: true });
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  test('the first start generates it into updraft.cfg, keeping the rest of the file; later starts keep it', () => {
    const text = fs.readFileSync(path.join(home, 'updraft.cfg'), 'utf8');
    const key = cfgKey();
    assert.equal(Buffer.from(key, 'base64').length, 32);
    assert.equal(text, `# written by hand\n[core]\nparallelism = 8\nfernet_key = ${key}\n\n[api]\n# any port\nport = 0\n`);
    assert.equal(fs.statSync(path.join(home, 'updraft.cfg')).mode & 0o777, 0o600);
    assert.equal(ensureFernetKey(testConfig(home)).str('core', 'fernet_key'), key);
    assert.equal(cfgKey(), key);
  });

  test('`updraft db migrate` on a new home generates one too', () => {
    const fresh = tempHome('updraft-migrate-');
    try {
      const r = spawnSync(process.execPath, [BIN, 'db', 'migrate'], { env: { ...process.env, UPDRAFT_HOME: fresh }, encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Generated \\[core\\] fernet_key in ${fresh}/updraft.cfg\n`));
      const key = parseIni(fs.readFileSync(path.join(fresh, 'updraft.cfg'), 'utf8'), 'updraft.cfg').data.core.fernet_key;
      assert.equal(Buffer.from(key, 'base64').length, 32);
      assert.doesNotMatch(spawnSync(process.execPath, [BIN, 'db', 'migrate'], { env: { ...process.env, UPDRAFT_HOME: fresh }, encoding: 'utf8' }).stdout, /Generated/);
    } finally {
      fs.rmSync(fresh, { recursive: true, force: true });
    }
  });

  test('an explicitly empty key refuses to store secrets, in the CLI and the API, and stores nothing', async () => {
    const r = updraft(['variables', 'set', 'api_token', 'clear-text?'], { UPDRAFT__CORE__FERNET_KEY: '' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /No \[core\] fernet_key is configured, so secrets cannot be stored encrypted/);
    const c = updraft(['connections', 'add', 'c', '--conn-uri', 'http://u:p@h'], { UPDRAFT__CORE__FERNET_KEY: '' });
    assert.equal(c.code, 1);
    assert.match(c.stderr, /No \[core\] fernet_key/);

    const app = buildApp({ pool: running.db.pool, config: testConfig(home, { UPDRAFT__CORE__FERNET_KEY: '' }), secret: jwtSecret(testConfig(home)) });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const token = await signToken(jwtSecret(testConfig(home)), { kind: 'user', sub: 'admin', role: 'Admin' }, 60);
      const res = await fetch(`http://127.0.0.1:${(app.server.address() as { port: number }).port}/api/v2/variables`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ key: 'api_token', value: 'clear-text?' }),
      });
      assert.equal(res.status, 500);
      assert.match(((await res.json()) as { detail: string }).detail, /No \[core\] fernet_key is configured/);
    } finally {
      await app.close();
    }
    assert.equal((await running.db.pool.query('SELECT count(*)::int AS n FROM variable')).rows[0].n, 0);
    assert.equal((await running.db.pool.query('SELECT count(*)::int AS n FROM connection')).rows[0].n, 0);
  });

  test('values are unreadable in the database; rotate-fernet-key re-encrypts everything with the new first key', async () => {
    const oldKey = cfgKey();
    assert.equal(updraft(['variables', 'set', 'rot_plain', 'visible-value']).code, 0);
    assert.equal(updraft(['variables', 'set', 'rot_password', 'hunter2']).code, 0);
    assert.equal(updraft(['connections', 'add', 'rot_conn', '--conn-uri', 'postgres://etl:pg-pass@db/x?api_key=K3Y']).code, 0);
    // a row from before encryption existed: clear text, is_encrypted false
    await running.db.pool.query("INSERT INTO variable (key, val) VALUES ('legacy', 'legacy-clear')");

    const vals = (await running.db.pool.query<{ val: string }>('SELECT val FROM variable')).rows.map((r) => r.val).join('\n');
    assert.ok(!vals.includes('visible-value') && !vals.includes('hunter2'), vals);
    const conn = (await running.db.pool.query<{ password: string; extra: string }>('SELECT password, extra FROM connection')).rows[0];
    assert.ok(!conn.password.includes('pg-pass') && !conn.extra.includes('K3Y'));

    const newKey = generateFernetKey();
    const oldId = new SecretCipher(oldKey).primaryKeyId as string;
    const newId = new SecretCipher(newKey).primaryKeyId as string;
    const both = { UPDRAFT__CORE__FERNET_KEY: `${newKey},${oldKey}` };
    assert.equal(updraft(['variables', 'get', 'rot_password'], both).stdout, 'hunter2\n', 'old values read with the old key listed second');
    const rotated = updraft(['rotate-fernet-key'], both);
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.equal(rotated.stdout, `Re-encrypted 3 variables and 1 connections with key ${newId}\n`);

    const rows = (await running.db.pool.query<{ key: string; val: string; is_encrypted: boolean }>('SELECT key, val, is_encrypted FROM variable ORDER BY key')).rows;
    for (const row of rows) {
      assert.ok(row.val.startsWith(`enc:v1:${newId}:`), `${row.key}: ${row.val}`);
      assert.equal(row.is_encrypted, true);
    }
    const c = (await running.db.pool.query<{ password: string; extra: string }>('SELECT password, extra FROM connection')).rows[0];
    assert.ok(c.password.startsWith(`enc:v1:${newId}:`) && c.extra.startsWith(`enc:v1:${newId}:`));

    // the old key can go: the new one alone reads everything
    const onlyNew = { UPDRAFT__CORE__FERNET_KEY: newKey };
    assert.equal(updraft(['variables', 'get', 'legacy'], onlyNew).stdout, 'legacy-clear\n');
    assert.equal(updraft(['variables', 'get', 'rot_password'], onlyNew).stdout, 'hunter2\n');
    const exported = updraft(['connections', 'export', '-'], onlyNew);
    assert.equal(JSON.parse(exported.stdout).rot_conn.password, 'pg-pass');
    // and the old key alone no longer does, with the reason
    const onlyOld = updraft(['variables', 'get', 'rot_plain']);
    assert.equal(onlyOld.code, 1);
    assert.match(onlyOld.stderr, new RegExp(`encrypted with key ${newId}, which is not in \\[core\\] fernet_key \\(it has ${oldId}\\)`));
    assert.equal((await running.db.pool.query("SELECT count(*)::int AS n FROM log WHERE event = 'cli_rotate_fernet_key'")).rows[0].n, 1);
  });
});
