/**
 * Assets (Airflow's Asset, formerly Dataset): a task's `outlets` say which
 * assets it updates; a DAG with `schedule: asset` (or AssetAll / AssetAny
 * conditions, Airflow's `&` and `|`) runs when they have been updated.
 */
import type { AssetCondition } from './serialized.ts';

export interface AssetOptions {
  uri?: string;
  /** defaults to the uri */
  name?: string;
  group?: string;
  extra?: Record<string, unknown>;
}

export class Asset {
  readonly uri: string;
  readonly name: string;
  readonly group: string;
  readonly extra: Record<string, unknown>;

  constructor(uriOrOptions: string | (AssetOptions & { uri: string }) | (AssetOptions & { name: string })) {
    const o: AssetOptions = typeof uriOrOptions === 'string' ? { uri: uriOrOptions } : uriOrOptions;
    const uri = o.uri ?? o.name;
    if (!uri || typeof uri !== 'string') throw new TypeError('Asset needs a uri (or a name)');
    if (/\s/.test(uri)) throw new TypeError(`Asset uri '${uri}' must not contain whitespace`);
    this.uri = uri;
    this.name = o.name ?? uri;
    this.group = o.group ?? 'asset';
    this.extra = o.extra ?? {};
  }

  /** Airflow's `a & b` */
  and(...others: AssetLike[]): AssetAll {
    return new AssetAll(this, ...others);
  }

  /** Airflow's `a | b` */
  or(...others: AssetLike[]): AssetAny {
    return new AssetAny(this, ...others);
  }

  toJSON(): AssetCondition {
    return { asset: { uri: this.uri, name: this.name } };
  }
}

/** Airflow 2's name for the same thing. */
export const Dataset = Asset;

export type AssetLike = Asset | AssetAll | AssetAny;

/** Runs once every one of these assets has been updated. */
export class AssetAll {
  readonly objects: AssetLike[];

  constructor(...objects: AssetLike[]) {
    this.objects = objects;
  }

  and(...others: AssetLike[]): AssetAll {
    return new AssetAll(...this.objects, ...others);
  }

  or(...others: AssetLike[]): AssetAny {
    return new AssetAny(this, ...others);
  }

  toJSON(): AssetCondition {
    return { all: this.objects.map((o) => o.toJSON()) };
  }
}

/** Runs when any of these assets has been updated. */
export class AssetAny {
  readonly objects: AssetLike[];

  constructor(...objects: AssetLike[]) {
    this.objects = objects;
  }

  and(...others: AssetLike[]): AssetAll {
    return new AssetAll(this, ...others);
  }

  or(...others: AssetLike[]): AssetAny {
    return new AssetAny(...this.objects, ...others);
  }

  toJSON(): AssetCondition {
    return { any: this.objects.map((o) => o.toJSON()) };
  }
}

export function isAssetSchedule(value: unknown): value is AssetLike | Asset[] {
  if (value instanceof Asset || value instanceof AssetAll || value instanceof AssetAny) return true;
  return Array.isArray(value) && value.length > 0 && value.every((v) => v instanceof Asset || v instanceof AssetAll || v instanceof AssetAny);
}

/** A list means "all of them" (Airflow's schedule=[a, b]). */
export function assetCondition(value: AssetLike | AssetLike[]): AssetCondition {
  return Array.isArray(value) ? new AssetAll(...value).toJSON() : value.toJSON();
}

/** Every asset a condition names. */
export function assetsIn(condition: AssetCondition): { uri: string; name: string }[] {
  if ('asset' in condition) return [condition.asset];
  return ('all' in condition ? condition.all : condition.any).flatMap(assetsIn);
}

/** Whether the updated assets satisfy the condition. */
export function conditionMet(condition: AssetCondition, updated: Set<string>): boolean {
  if ('asset' in condition) return updated.has(condition.asset.uri);
  if ('all' in condition) return condition.all.every((c) => conditionMet(c, updated));
  return condition.any.some((c) => conditionMet(c, updated));
}
