/**
 * `updraft pools list | get | set | delete`, as Airflow's, on the local
 * installation or, with --api-url, through the REST API.
 */
import { Option, type Command } from 'commander';
import type { Config } from '../config/config.ts';
import { logEvent } from '../db/sql/event-log.ts';
import { DEFAULT_POOL, deletePool, getPool, insertPool, listPools, updatePool, type PoolRow } from '../db/sql/pools.ts';
import { remoteApi, seg } from './api-client.ts';
import { CliError } from './errors.ts';
import { type OutputFormat, printRows } from './output.ts';
import { cliUser } from './secrets.ts';
import { withDb } from './with-db.ts';

interface PoolView {
  pool: string;
  slots: number;
  description: string | null;
  include_deferred: boolean;
  occupied_slots?: number;
  open_slots?: number;
}

const fromRow = (p: PoolRow): PoolView => ({ pool: p.pool, slots: p.slots, description: p.description, include_deferred: p.include_deferred, occupied_slots: p.running_slots + p.queued_slots, open_slots: p.slots < 0 ? -1 : p.slots - p.running_slots - p.queued_slots });
const fromApi = (p: { name: string; slots: number; description: string | null; include_deferred: boolean; occupied_slots: number; open_slots: number }): PoolView => ({ pool: p.name, slots: p.slots, description: p.description, include_deferred: p.include_deferred, occupied_slots: p.occupied_slots, open_slots: p.open_slots });
const COLUMNS = ['pool', 'slots', 'description', 'include_deferred'];
const outputOption = () => new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml', 'plain']).default('table');

export function registerPoolCommands(program: Command, config: () => Config) {
  const pools = program.command('pools').description('Manage pools');

  pools
    .command('list')
    .description('List pools')
    .addOption(outputOption())
    .action(async (o: { output: OutputFormat }) => {
      const api = remoteApi();
      const rows = api
        ? ((await api.get('/api/v2/pools?limit=1000')).pools as Parameters<typeof fromApi>[0][]).map(fromApi)
        : await withDb(config(), async (d) => (await listPools(d.pool, { orderBy: 'p.pool', limit: 10_000, offset: 0 })).pools.map(fromRow));
      printRows(rows as unknown as Record<string, unknown>[], o.output, COLUMNS);
    });

  pools
    .command('get <name>')
    .description('Show one pool')
    .addOption(outputOption())
    .action(async (name: string, o: { output: OutputFormat }) => {
      const api = remoteApi();
      const pool = api
        ? fromApi(await api.get(`/api/v2/pools/${seg(name)}`))
        : await withDb(config(), async (d) => {
            const p = await getPool(d.pool, name);
            if (!p) throw new CliError(`Pool ${name} does not exist`);
            return fromRow(p);
          });
      printRows([pool as unknown as Record<string, unknown>], o.output, [...COLUMNS, 'occupied_slots', 'open_slots']);
    });

  pools
    .command('set <name> <slots> <description>')
    .description('Create or update a pool (-1 slots: unlimited)')
    .option('--include-deferred', 'deferred tasks count against the pool')
    .action(async (name: string, slotsText: string, description: string, o: { includeDeferred?: boolean }) => {
      const slots = Number(slotsText);
      if (!Number.isInteger(slots) || slots < -1) throw new CliError(`slots must be an integer of at least -1, not '${slotsText}'`);
      const include_deferred = Boolean(o.includeDeferred);
      const api = remoteApi();
      if (api) {
        const existing = await api.get(`/api/v2/pools?pool_name_pattern=${seg(name)}&limit=1000`);
        const exists = (existing.pools as { name: string }[]).some((p) => p.name === name);
        if (exists) await api.patch(`/api/v2/pools/${seg(name)}`, { slots, description, include_deferred });
        else await api.post('/api/v2/pools', { name, slots, description, include_deferred });
      } else {
        await withDb(config(), async (d) => {
          if (!(await insertPool(d.pool, { name, slots, description, include_deferred }))) await updatePool(d.pool, name, { slots, description, include_deferred });
          await logEvent(d.pool, { event: 'cli_pool_set', owner: cliUser(), extra: { name, slots } });
        });
      }
      process.stdout.write(`Pool ${name} set: ${slots} slots\n`);
    });

  pools
    .command('delete <name>')
    .description('Delete a pool')
    .action(async (name: string) => {
      if (name === DEFAULT_POOL) throw new CliError("default_pool can't be deleted");
      const api = remoteApi();
      if (api) await api.delete(`/api/v2/pools/${seg(name)}`);
      else {
        await withDb(config(), async (d) => {
          if (!(await deletePool(d.pool, name))) throw new CliError(`Pool ${name} does not exist`);
          await logEvent(d.pool, { event: 'cli_pool_delete', owner: cliUser(), extra: { name } });
        });
      }
      process.stdout.write(`Pool ${name} deleted\n`);
    });
}
