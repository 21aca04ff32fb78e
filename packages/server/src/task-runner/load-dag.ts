/** Imports a DAG file in this process and returns the DAGs it defined. */
import { pathToFileURL } from 'node:url';
import { collectDags, resetDagRegistry, type DAG } from '@updraft/sdk';
import { installSdkResolver } from './sdk-resolver.ts';
import { installStrippedCache } from './stripped-cache.ts';

export async function importDagFile(file: string): Promise<DAG[]> {
  installSdkResolver();
  installStrippedCache();
  resetDagRegistry();
  // a query string makes a changed file load afresh when a process imports it twice
  await import(`${pathToFileURL(file).href}?t=${Date.now()}`);
  return collectDags();
}
