/**
 * The api-server builds the UI on start when its build is missing: two
 * processes starting at once build it once (one builds, the other waits for
 * its folder), and a lock left by a dead process does not block them.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const BUILD = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../server/src/api/ui/build.ts');

test("two processes starting at once build the UI once; a dead process's lock is taken over", async () => {
  const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-ui-build-'));
  try {
    // a lock held by a process that has exited
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    fs.writeFileSync(path.join(dist, '.build.lock'), dead);
    // (the interval stands for the api-server that keeps a real process alive while it waits)
    const script = `const alive = setInterval(() => {}, 1000); const { ensureUiBuild } = await import(${JSON.stringify(BUILD)}); console.log(JSON.stringify(await ensureUiBuild({ dist: ${JSON.stringify(dist)} }))); clearInterval(alive);`;
    const run = () => promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    const results = (await Promise.all([run(), run()])).map((r) => JSON.parse(r.stdout) as { dir: string; built: boolean });
    assert.equal(results[0].dir, results[1].dir);
    assert.deepEqual(results.map((r) => r.built).sort(), [false, true], 'one built, the other used its build');
    assert.ok(fs.existsSync(path.join(results[0].dir, 'index.html')));
    assert.ok(fs.readdirSync(path.join(results[0].dir, 'assets')).some((f) => f.endsWith('.js')));
    assert.ok(!fs.existsSync(path.join(dist, '.build.lock')), 'the lock is released');
    assert.deepEqual(fs.readdirSync(dist), [path.basename(results[0].dir)], 'no leftover temporary folder');
  } finally {
    fs.rmSync(dist, { recursive: true, force: true });
  }
});
