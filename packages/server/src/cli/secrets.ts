/** What the variables and connections commands share, and `updraft rotate-fernet-key`. */
import type { Command } from 'commander';
import type { Config } from '../config/config.ts';
import { reencryptConnections } from '../db/sql/connections.ts';
import { logEvent } from '../db/sql/event-log.ts';
import { inTransaction } from '../db/sql/queryable.ts';
import { reencryptVariables } from '../db/sql/variables.ts';
import { SecretCipher } from '../security/encryption.ts';
import { ensureFernetKey } from '../security/fernet-key-file.ts';
import { SensitiveNames } from '../security/sensitive.ts';
import { CliError } from './errors.ts';
import { withDb } from './with-db.ts';

export interface CliSecrets {
  config: Config;
  cipher: SecretCipher;
  sensitive: SensitiveNames;
}

/**
 * The configuration with its fernet key — generated into updraft.cfg when this
 * home has none yet, as the first `standalone` would — and the objects that
 * encrypt and mask secrets.
 */
export function cliSecrets(config: Config): CliSecrets {
  const withKey = ensureFernetKey(config, (file) => process.stderr.write(`Generated [core] fernet_key in ${file}\n`));
  return { config: withKey, cipher: SecretCipher.fromConfig(withKey), sensitive: SensitiveNames.fromConfig(withKey) };
}

export function cliUser(): string | null {
  return process.env.USER ?? null;
}

export function registerRotateFernetKey(program: Command, config: () => Config) {
  program
    .command('rotate-fernet-key')
    .description('Re-encrypt every Variable value and connection secret with the first key of [core] fernet_key (list the old keys after it first)')
    .action(async () => {
      const { config: cfg, cipher } = cliSecrets(config());
      if (!cipher.primaryKeyId) throw new CliError('[core] fernet_key is empty: there is no key to rotate to');
      await withDb(cfg, async (d) => {
        const counts = await inTransaction(d.pool, async (db) => {
          const variables = await reencryptVariables(db, cipher);
          const connections = await reencryptConnections(db, cipher);
          await logEvent(db, { event: 'cli_rotate_fernet_key', owner: cliUser(), extra: { key_id: cipher.primaryKeyId, variables, connections } });
          return { variables, connections };
        });
        process.stdout.write(`Re-encrypted ${counts.variables} variables and ${counts.connections} connections with key ${cipher.primaryKeyId}\n`);
      });
    });
}
