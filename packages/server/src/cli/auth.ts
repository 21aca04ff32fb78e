/** `updraft auth login | logout`: a token for a remote api-server, kept for the commands that follow. */
import fs from 'node:fs';
import type { Command } from 'commander';
import { ApiClient, apiUrl, credentialsFile, forgetToken, saveToken } from './api-client.ts';
import { CliError } from './errors.ts';

function needUrl(): string {
  const url = apiUrl();
  if (!url) throw new CliError('Give the api-server with --api-url URL (or UPDRAFT_API_URL)');
  return url;
}

export function registerAuthCommands(program: Command) {
  const auth = program.command('auth').description('Log in to a remote api-server (for commands run with --api-url)');
  auth
    .command('login')
    .description('Get a long-lived CLI token (POST /auth/token/cli) and keep it for this api-server')
    .requiredOption('-u, --username <name>', 'user name')
    .option('-p, --password <password>', 'password (prefer --password-stdin: a command line is visible to others)')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (o: { username: string; password?: string; passwordStdin?: boolean }) => {
      const url = needUrl();
      const password = o.passwordStdin ? fs.readFileSync(0, 'utf8').replace(/\r?\n$/, '') : o.password;
      if (!password) throw new CliError('Give the password with --password or --password-stdin');
      const { access_token } = await new ApiClient(url, null).post<{ access_token: string }>('/auth/token/cli', { username: o.username, password });
      saveToken(url, o.username, access_token);
      process.stdout.write(`Logged in to ${url} as ${o.username} (token kept in ${credentialsFile()})\n`);
    });
  auth
    .command('logout')
    .description('Forget the token kept for this api-server')
    .action(() => {
      const url = needUrl();
      process.stdout.write(forgetToken(url) ? `Logged out of ${url}\n` : `No token was kept for ${url}\n`);
    });
}
