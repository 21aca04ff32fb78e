/**
 * The DAG processor: finds DAG files, parses each in a child process, stores
 * the serialized DAGs and import errors. Sees changes at once through file
 * watching; a periodic full rescan catches anything the watcher missed.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import type { Config } from '../config/config.ts';
import { syncDagAssets } from '../db/sql/assets.ts';
import {
  clearImportError,
  deactivateDagsOfMissingFiles,
  deactivateMissingDags,
  recordImportError,
  saveDagCode,
  upsertDag,
} from '../db/sql/dags.ts';
import { endJob, heartbeatJob, startJob } from '../db/sql/jobs.ts';
import { inTransaction } from '../db/sql/queryable.ts';
import { refreshNextDagrun, timetableOf } from '../scheduler/runs.ts';
import { describeSchedule, validateTimetable } from '../scheduler/timetable.ts';
import type { Logger } from '../util/logger.ts';
import { findDagFiles, mightDefineDag } from './find-files.ts';
import { ensureBundle } from '../executors/runner-bundle.ts';
import { STRIPPED_CACHE_ENV, strippedCacheDir } from '../task-runner/stripped-cache.ts';
import { ParserPool } from './parse-file.ts';

export const EXAMPLES_FOLDER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../examples/dags');

export interface ProcessorDeps {
  pool: pg.Pool;
  config: Config;
  log: Logger;
  /** called after DAGs were stored, so a scheduler in this process can look at once */
  onParsed?: () => void;
}

export class DagProcessor {
  private readonly deps: ProcessorDeps;
  private readonly hashes = new Map<string, string>();
  private readonly watchers: fs.FSWatcher[] = [];
  private readonly pending = new Set<string>();
  private flushTimer: NodeJS.Timeout | null = null;
  private rescanTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private busy: Promise<void> = Promise.resolve();
  private jobId = 0;
  private parser: Promise<ParserPool> | null = null;

  constructor(deps: ProcessorDeps) {
    this.deps = deps;
  }

  private parserPool(): Promise<ParserPool> {
    const { config } = this.deps;
    this.parser ??= ensureBundle().then(
      (bundle) =>
        new ParserPool({
          size: config.int('dag_processor', 'parsing_processes'),
          timeoutSeconds: config.float('core', 'dagbag_import_timeout'),
          idleSeconds: config.float('dag_processor', 'parser_idle_timeout'),
          entry: bundle?.parser,
          // what parsing strips of its types, task processes then load as is (see stripped-cache.ts)
          env: { [STRIPPED_CACHE_ENV]: strippedCacheDir(config.home) },
        }),
    );
    return this.parser;
  }

  /** Stops the parsing processes (stop() does it too; for callers that only used processFile). */
  async close(): Promise<void> {
    (await this.parser)?.close();
    this.parser = null;
  }

  folders(): string[] {
    const { config } = this.deps;
    const folders = [config.str('core', 'dags_folder')];
    if (config.bool('core', 'load_examples')) folders.push(EXAMPLES_FOLDER);
    return folders;
  }

  /** Checks the dags folder can be read; creates it when missing (as Airflow does). */
  checkFolders(): void {
    const dagsFolder = this.deps.config.str('core', 'dags_folder');
    if (!fs.existsSync(dagsFolder)) fs.mkdirSync(dagsFolder, { recursive: true });
    try {
      fs.readdirSync(dagsFolder);
    } catch (err) {
      throw new Error(`Cannot read the DAGs folder ${dagsFolder} ([core] dags_folder): ${(err as NodeJS.ErrnoException).code}`, { cause: err });
    }
  }

  private relative(file: string): string {
    for (const folder of this.folders()) {
      if (file.startsWith(folder + path.sep)) return path.relative(folder, file);
    }
    return file;
  }

  /** Parses every file that changed since the last look (all of them the first time). */
  async processAll(): Promise<void> {
    const files = this.folders().flatMap((f) => (fs.existsSync(f) ? findDagFiles(f) : []));
    await deactivateDagsOfMissingFiles(this.deps.pool, files);
    for (const gone of [...this.hashes.keys()].filter((f) => !files.includes(f))) this.hashes.delete(gone);
    await this.processFiles(files);
  }

  private async processFiles(files: string[]) {
    const concurrency = this.deps.config.int('dag_processor', 'parsing_processes');
    const queue = [...files];
    const worker = async () => {
      while (queue.length) {
        const file = queue.shift() as string;
        try {
          await this.processFile(file);
        } catch (err) {
          this.deps.log.error({ err, file }, 'storing the result of a DAG file failed');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
    if (files.length) this.deps.onParsed?.();
  }

  /** Parses one file if its content changed; returns false when it was skipped. */
  async processFile(file: string): Promise<boolean> {
    const { pool, config, log } = this.deps;
    let source: string;
    try {
      source = fs.readFileSync(file, 'utf8');
    } catch {
      return false;
    }
    const hash = crypto.createHash('sha256').update(source).digest('hex');
    if (this.hashes.get(file) === hash) return false;
    if (!mightDefineDag(source)) {
      this.hashes.set(file, hash);
      return false;
    }
    const started = Date.now();
    const result = await (await this.parserPool()).parse(file);
    if (!result.ok) {
      await recordImportError(pool, file, result.message, result.stack);
      await deactivateMissingDags(pool, file, []);
      this.hashes.set(file, hash);
      log.warn({ file: this.relative(file) }, `import error: ${result.message.split('\n')[0]}`);
      return true;
    }
    // a schedule the scheduler could not follow is an import error, reported with file and DAG
    for (const dag of result.dags) {
      const problem = validateTimetable(timetableOf(dag));
      if (problem && !(dag.schedule.kind === 'none')) {
        const message = `${file}: DAG '${dag.dag_id}': ${problem}`;
        await recordImportError(pool, file, message, message);
        await deactivateMissingDags(pool, file, []);
        this.hashes.set(file, hash);
        log.warn({ file: this.relative(file) }, `import error: ${message}`);
        return true;
      }
    }
    await inTransaction(pool, async (client) => {
      for (const dag of result.dags) {
        await upsertDag(client, {
          data: dag,
          relativeFileloc: this.relative(file),
          defaultMaxActiveRuns: config.int('core', 'max_active_runs_per_dag'),
          defaultMaxActiveTasks: config.int('core', 'max_active_tasks_per_dag'),
          pausedByDefault: config.bool('core', 'dags_are_paused_at_creation'),
          timetableDescription: describeSchedule(timetableOf(dag)),
        });
        await refreshNextDagrun(client, dag);
        await syncDagAssets(client, dag);
      }
      await deactivateMissingDags(client, file, result.dags.map((d) => d.dag_id));
      await saveDagCode(client, file, source);
      await clearImportError(client, file);
    });
    this.hashes.set(file, hash);
    log.debug({ file: this.relative(file), dags: result.dags.length, ms: Date.now() - started }, 'parsed');
    return true;
  }

  private schedule(file: string) {
    this.pending.add(file);
    if (this.flushTimer) return;
    // the parsing processes may have been stopped while idle: start one during the wait below
    void this.parserPool().then((p) => p.warm(), () => undefined);
    // editors write a file in several steps: wait a moment, then parse once
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      const files = [...this.pending];
      this.pending.clear();
      this.busy = this.busy.then(async () => {
        // a deleted file, an .airflowignore, or a file it excludes: a rescan, which honours .airflowignore
        const listed = new Set(this.folders().flatMap((f) => (fs.existsSync(f) ? findDagFiles(f) : [])));
        if (files.every((f) => listed.has(f))) await this.processFiles(files);
        else await this.processAll();
      }).catch((err) => this.deps.log.error({ err }, 'processing changed DAG files failed; the next change or rescan retries'));
    }, 100);
  }

  async start(): Promise<void> {
    const { pool, config, log } = this.deps;
    this.checkFolders();
    this.jobId = await startJob(pool, 'DagProcessorJob');
    for (const folder of this.folders()) {
      if (!fs.existsSync(folder)) continue;
      const watcher = fs.watch(folder, { recursive: true }, (_event, name) => {
        if (!name) return;
        const full = path.join(folder, name.toString());
        if (path.basename(full) === '.airflowignore') return this.schedule(full);
        if (['.ts', '.mts', '.js', '.mjs'].includes(path.extname(full))) this.schedule(full);
      });
      watcher.on('error', (err) => log.warn({ err, folder }, 'watching the DAGs folder failed; the periodic rescan still runs'));
      this.watchers.push(watcher);
    }
    this.busy = this.processAll();
    await this.busy;
    this.rescanTimer = setInterval(() => {
      this.busy = this.busy.then(() => this.processAll()).catch((err) => log.error({ err }, 'rescan failed'));
    }, config.float('dag_processor', 'refresh_interval') * 1000);
    this.heartbeatTimer = setInterval(() => void heartbeatJob(pool, this.jobId).catch(() => undefined), 5000);
    log.info({ folders: this.folders() }, 'dag processor started');
  }

  async stop(): Promise<void> {
    for (const w of this.watchers.splice(0)) w.close();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.rescanTimer) clearInterval(this.rescanTimer);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    await this.busy.catch(() => undefined);
    await this.close();
    await endJob(this.deps.pool, this.jobId).catch(() => undefined);
  }
}
