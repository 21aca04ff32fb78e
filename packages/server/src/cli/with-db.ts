/** Opens the database for one CLI command (joining a running embedded server, or starting it for the command). */
import type { Config } from '../config/config.ts';
import { type Database, openDatabase } from '../db/database.ts';
import { migrate, schemaStatus } from '../db/migrate.ts';

export async function withDb<T>(config: Config, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase(config, { max: 4 });
  try {
    const status = await schemaStatus(db.pool);
    if (status.database < status.code) await migrate(db.pool, { defaultPoolSlots: config.int('core', 'default_pool_task_slot_count') });
    return await fn(db);
  } finally {
    await db.close();
  }
}
