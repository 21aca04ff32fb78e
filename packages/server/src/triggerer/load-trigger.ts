/**
 * Rebuilds a trigger from its serialized form: `<module>#<export>` and JSON
 * kwargs. The module is a package export ("@updraft/sdk/triggers",
 * "@updraft/provider-aws") or an absolute file; a package is looked up from the
 * triggerer first, then next to the DAG file of the waiting task (a project may
 * install its own packages beside its DAGs).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BaseTrigger } from '@updraft/sdk';
import { installSdkResolver } from '../task-runner/sdk-resolver.ts';

export async function loadTrigger(classpath: string, kwargs: Record<string, unknown>, dagFile: string | null): Promise<BaseTrigger> {
  const hash = classpath.lastIndexOf('#');
  if (hash <= 0) throw new Error(`trigger classpath '${classpath}' is not '<module>#<export>'`);
  const specifier = classpath.slice(0, hash);
  const name = classpath.slice(hash + 1);
  const mod = (await importModule(specifier, dagFile)) as Record<string, unknown>;
  const Trigger = mod[name];
  if (typeof Trigger !== 'function') throw new Error(`module '${specifier}' has no export '${name}' (trigger ${classpath})`);
  const trigger = new (Trigger as new (kwargs: Record<string, unknown>) => BaseTrigger)(kwargs);
  if (typeof (trigger as { run?: unknown }).run !== 'function') throw new Error(`${classpath} is not a trigger: it has no run()`);
  return trigger;
}

async function importModule(specifier: string, dagFile: string | null): Promise<unknown> {
  // a trigger file next to the DAG imports @updraft/sdk like the DAG does
  installSdkResolver();
  if (path.isAbsolute(specifier)) return import(pathToFileURL(specifier).href);
  try {
    return await import(specifier);
  } catch (err) {
    if (!dagFile || (err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    return import(pathToFileURL(createRequire(dagFile).resolve(specifier)).href);
  }
}
