/**
 * DAG files live anywhere (the dags folder is rarely inside this repository),
 * yet `import … from '@updraft/sdk'` must load the very SDK instance the
 * runner uses — one DAG registry, one runtime. This resolve hook maps the
 * specifier to our copy before Node's own lookup runs. Any other package
 * the DAG's folder does not provide (providers, the AWS SDK …) resolves from
 * the installation.
 */
import module from 'node:module';

let installed = false;

function isBareSpecifier(specifier: string): boolean {
  return !/^(\.|\/|[a-zA-Z][a-zA-Z0-9+.-]*:)/.test(specifier);
}

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
      try {
        return nextResolve(specifier, context);
      } catch (err) {
        // a package the DAG's folder does not have (a provider, the AWS SDK …)
        // comes from the installation, as Python finds site-packages
        if (!isBareSpecifier(specifier)) throw err;
        try {
          return { url: import.meta.resolve(specifier), shortCircuit: true };
        } catch {
          throw err;
        }
      }
    },
  });
}
