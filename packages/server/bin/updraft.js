#!/usr/bin/env node
// The `updraft` command. Runs the TypeScript sources directly with Node 22's type
// stripping; on an older Node, say so plainly instead of failing on syntax.
const [major] = process.versions.node.split('.').map(Number);
if (major < 22) {
  process.stderr.write(`Error: Updraft needs Node.js 22 or newer (this is ${process.version}). Run it through npm (npm start / npx updraft), which uses the project's Node 22.\n`);
  process.exit(1);
}
process.removeAllListeners('warning');
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
