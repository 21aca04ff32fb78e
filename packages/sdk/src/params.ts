/**
 * DAG params: a default value plus JSON-schema-ish keywords, as Airflow's
 * Param. The schema is stored for the UI's trigger form and checked here for
 * the keywords people actually use, so a bad default fails at parse time.
 */
import type { SerializedParam } from './serialized.ts';

export interface ParamOptions {
  description?: string | null;
  type?: ParamType | ParamType[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  title?: string;
  format?: string;
  /** any other JSON-schema keyword is kept as is for the UI */
  [keyword: string]: unknown;
}

export type ParamType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'null';

export class Param {
  /** undefined means "no default": the param must be given when triggering */
  value: unknown;
  description: string | null;
  schema: Record<string, unknown>;

  constructor(value?: unknown, options: ParamOptions = {}) {
    const { description, ...schema } = options;
    this.value = value;
    this.description = description ?? null;
    this.schema = schema;
  }

  /**
   * The Param a serialized DAG describes (serializeParam's inverse), so the
   * server checks trigger-time conf with this very class.
   */
  static fromSerialized(serialized: SerializedParam): Param {
    return new Param('value' in serialized ? serialized.value : undefined, { ...serialized.schema, description: serialized.description });
  }

  get hasValue(): boolean {
    return this.value !== undefined;
  }

  /** Why `value` breaks this param's schema, or null when it is fine. */
  validate(value: unknown = this.value): string | null {
    if (value === undefined) return 'no value passed and the param has no default value';
    return schemaProblem(value, this.schema);
  }
}

/** Plain values in `params` are Params without a schema. */
export function toParam(value: unknown): Param {
  return value instanceof Param ? value : new Param(value);
}

export function serializeParam(param: Param, toJson: (value: unknown) => unknown): SerializedParam {
  const description = param.description;
  const schema = toJson(param.schema) as Record<string, unknown>;
  if (param.hasValue) return { value: toJson(param.value), description, schema };
  // A missing `value` key (rather than null) marks a param without default,
  // so that a default of null stays distinguishable after a JSON round trip.
  return { description, schema } as SerializedParam;
}

function typeOf(value: unknown): ParamType | 'unknown' {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'number':
      return 'number';
    case 'object':
      return 'object';
    default:
      return 'unknown';
  }
}

function matchesType(value: unknown, type: unknown): boolean {
  const actual = typeOf(value);
  if (type === 'integer') return actual === 'number' && Number.isInteger(value);
  return actual === type;
}

function schemaProblem(value: unknown, schema: Record<string, unknown>): string | null {
  const shown = JSON.stringify(value);
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((type) => matchesType(value, type))) return `${shown} is not of type ${types.map((t) => `'${t}'`).join(', ')}`;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((option) => JSON.stringify(option) === shown)) {
    return `${shown} is not one of ${JSON.stringify(schema.enum)}`;
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) return `${shown} is less than the minimum of ${schema.minimum}`;
    if (typeof schema.maximum === 'number' && value > schema.maximum) return `${shown} is greater than the maximum of ${schema.maximum}`;
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum) {
      return `${shown} is less than or equal to the minimum of ${schema.exclusiveMinimum}`;
    }
    if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum) {
      return `${shown} is greater than or equal to the maximum of ${schema.exclusiveMaximum}`;
    }
  }
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) return `${shown} is too short`;
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) return `${shown} is too long`;
    if (typeof schema.pattern === 'string') {
      let pattern: RegExp;
      try {
        pattern = new RegExp(schema.pattern, 'u');
      } catch {
        return `invalid pattern '${schema.pattern}' in the param schema`;
      }
      if (!pattern.test(value)) return `${shown} does not match '${schema.pattern}'`;
    }
  }
  return null;
}
