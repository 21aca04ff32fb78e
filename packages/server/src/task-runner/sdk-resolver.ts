/**
 * DAG files live anywhere (the dags folder is rarely inside this repository),
 * yet `import … from '@updraft/sdk'` must load the very SDK instance the
 * runner uses — one DAG registry, one runtime. This resolve hook maps the
 * specifier to our copy before Node's own lookup runs. Other @updraft/
 * packages (providers) resolve next to the server when the DAG's folder has
 * none of its own.
 */
import module from 'node:module';

let installed = false;

export function installSdkResolver(): void {
  if (installed) return;
  installed = true;
  const targets = new Map<string, string>([
    ['@updraft/sdk', import.meta.resolve('@updraft/sdk')],
    ['@updraft/sdk/serialized', import.meta.resolve('@updraft/sdk/serialized')],
    ['@updraft/sdk/runtime', import.meta.resolve('@updraft/sdk/runtime')],
  ]);
  module.registerHooks({
    resolve(specifier, context, nextResolve) {
      const target = targets.get(specifier);
      if (target) return { url: target, shortCircuit: true };
      // other Updraft packages (providers) installed with the server, for DAG files outside it
      if (specifier.startsWith('@updraft/')) {
        try {
          return nextResolve(specifier, context);
        } catch {
          return { url: import.meta.resolve(specifier), shortCircuit: true };
        }
      }
      return nextResolve(specifier, context);
    },
  });
}
