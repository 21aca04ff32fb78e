/**
 * Converts whatever an author put in operator arguments or default_args into
 * JSON the server can store and show: functions vanish, Dates become ISO
 * strings, and nothing can make serialization throw (cycles, bigint …).
 */

/** undefined means "omit this value" (like JSON.stringify's rule for functions). */
export function toJsonSafe(value: unknown): unknown {
  return convert(value, new Set());
}

function convert(value: unknown, ancestors: Set<object>): unknown {
  switch (typeof value) {
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'bigint':
      return value.toString();
  }
  if (value === null) return null;
  const object = value as object;
  if (ancestors.has(object)) return '[Circular]';
  // Date and XComArg define toJSON; honour it like JSON.stringify does.
  const toJSON = (object as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return convert(toJSON.call(object), ancestors);
  if (object instanceof RegExp) return String(object);

  ancestors.add(object);
  try {
    if (Array.isArray(object) || object instanceof Set) {
      return [...object].map((item) => convert(item, ancestors) ?? null);
    }
    const entries = object instanceof Map ? [...object.entries()] : Object.entries(object);
    const result: Record<string, unknown> = {};
    for (const [key, item] of entries) {
      const converted = convert(item, ancestors);
      if (converted !== undefined) result[String(key)] = converted;
    }
    return result;
  } finally {
    ancestors.delete(object);
  }
}

/** toJsonSafe for an object whose result must stay an object. */
export function toJsonObject(value: Record<string, unknown>): Record<string, unknown> {
  const converted = toJsonSafe(value);
  return typeof converted === 'object' && converted !== null && !Array.isArray(converted)
    ? (converted as Record<string, unknown>)
    : {};
}
