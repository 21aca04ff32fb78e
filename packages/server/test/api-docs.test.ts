/**
 * /docs in a real browser (headless Chromium): the page reads /openapi.json,
 * lists the implemented operations by tag, filters them, and opens one to
 * show its parameters and answers, with no script error and nothing loaded
 * from another site.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/api/app.ts';
import { jwtSecret } from '../src/security/secret.ts';
import { startTestDb, type TestDb } from './helpers.ts';

const CHROMIUM = process.env.UPDRAFT_CHROMIUM ?? '/usr/bin/chromium';
const missing = fs.existsSync(CHROMIUM) ? false : `Chromium not found at ${CHROMIUM}`;

let t: TestDb;
let app: FastifyInstance;
let base: string;
let browser: Browser;

before(async () => {
  if (missing) return;
  t = await startTestDb();
  app = buildApp({ pool: t.db.pool, config: t.config, secret: jwtSecret(t.config) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
});
after(async () => {
  await browser?.close();
  await app?.close();
  await t?.close();
});

test('the /docs page lists, filters and opens operations', { skip: missing }, async () => {
  const page = await browser.newPage();
  const errors: string[] = [];
  const elsewhere: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('request', (r) => !r.url().startsWith(base) && elsewhere.push(r.url()));
  await page.goto(`${base}/docs`);
  await page.waitForSelector('details summary');
  const all = await page.locator('details').count();
  assert.ok(all >= 70, `${all} operations listed`);
  assert.match((await page.locator('#sub').textContent()) ?? '', /Updraft REST API/);

  await page.fill('#q', 'pools');
  const pools = await page.locator('details summary').allTextContents();
  assert.ok(pools.length >= 5 && pools.every((s) => /pool/i.test(s)), pools.join('\n'));

  await page.locator('details summary', { hasText: 'POST/api/v2/pools' }).first().click();
  const body = (await page.locator('details[open] .body').textContent()) ?? '';
  assert.match(body, /slots/);
  assert.match(body, /409/);
  assert.deepEqual(errors, []);
  assert.deepEqual(elsewhere, [], 'nothing is fetched from another site');
  await page.close();
});
