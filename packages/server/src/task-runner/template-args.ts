/**
 * Pieces the template context and macros share with the Jinja layer, kept
 * apart from it so that a task without templates never loads nunjucks.
 */

export class TemplateError extends Error {}

/** nunjucks passes Python-style keyword arguments as a trailing object marked __keywords. */
export function splitKeywords(args: unknown[]): { positional: unknown[]; keywords: Record<string, unknown> } {
  const last = args[args.length - 1] as Record<string, unknown> | undefined;
  if (last && typeof last === 'object' && (last as { __keywords?: boolean }).__keywords) {
    const { __keywords: _k, ...keywords } = last;
    return { positional: args.slice(0, -1), keywords };
  }
  return { positional: args, keywords: {} };
}
