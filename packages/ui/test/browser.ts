/**
 * Headless Chromium for the UI tests and the UI benchmark: Debian's chromium
 * driven by playwright-core (its own browser download does not work here).
 * Console errors and page errors are collected so a test can assert there
 * were none.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.UPDRAFT_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');

/** why the browser tests cannot run here, or null when they can */
export function chromiumMissing(): string | null {
  return fs.existsSync(CHROMIUM) ? null : `Chromium not found at ${CHROMIUM} (Debian package "chromium"; .ci/run installs it): UI tests skipped`;
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface WatchedPage {
  page: Page;
  /** console errors and uncaught exceptions so far */
  errors: string[];
}

export async function openPage(browser: Browser, viewport = { width: 1280, height: 800 }): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  return { page, errors };
}

/** Signs in through the login form and waits for the DAG list. */
export async function signIn(page: Page, baseUrl: string, password: string) {
  await page.goto(`${baseUrl}/`);
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForSelector('table.dag-table');
}

export async function screenshot(page: Page, name: string) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}
