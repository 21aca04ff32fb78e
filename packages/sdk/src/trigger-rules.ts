/** Runtime lists of the values the contract's string unions allow. */
import type { TriggerRule } from './serialized.ts';

// An object keyed by the union makes TypeScript flag a rule missing here when
// serialized.ts gains one.
const TRIGGER_RULE_SET = {
  all_success: true,
  all_failed: true,
  all_done: true,
  all_done_min_one_success: true,
  all_done_setup_success: true,
  one_success: true,
  one_failed: true,
  one_done: true,
  none_failed: true,
  none_failed_min_one_success: true,
  none_skipped: true,
  all_skipped: true,
  always: true,
} satisfies Record<TriggerRule, true>;

export const TRIGGER_RULES = Object.keys(TRIGGER_RULE_SET) as TriggerRule[];

export function isTriggerRule(value: unknown): value is TriggerRule {
  return typeof value === 'string' && Object.hasOwn(TRIGGER_RULE_SET, value);
}

export type WeightRule = 'downstream' | 'upstream' | 'absolute';

export const WEIGHT_RULES: readonly WeightRule[] = ['downstream', 'upstream', 'absolute'];
