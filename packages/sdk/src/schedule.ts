/**
 * Turns the `schedule` an author wrote into the serialized form the scheduler
 * understands, plus the text shown in the UI. Cron is validated with croner in
 * strict 5-field mode, because that is what Airflow (croniter) accepts.
 */
import { assetCondition, isAssetSchedule, type AssetLike } from './assets.ts';
import { isTimetable, timetableSchedule, type TimetableObject } from './timetables.ts';
import { CronPattern } from 'croner';
import { durationToSeconds, formatTimedelta, type Duration } from './duration.ts';
import type { SerializedSchedule } from './serialized.ts';

/** A cron expression, a preset such as "@daily", a duration, or null (manual only). */
export type ScheduleArg = string | Duration | null | AssetLike | AssetLike[] | TimetableObject;

/** Airflow's cron presets; @once and @continuous are not cron and handled apart. */
export const CRON_PRESETS: Readonly<Record<string, string>> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@quarterly': '0 0 1 */3 *',
  '@yearly': '0 0 1 1 *',
};

export interface NormalizedSchedule {
  schedule: SerializedSchedule;
  schedule_text: string | null;
}

/** Throws a plain Error whose message is the user-facing reason. */
export function normalizeSchedule(value: ScheduleArg | undefined): NormalizedSchedule {
  if (value === null || value === undefined) return { schedule: { kind: 'none' }, schedule_text: null };
  if (isAssetSchedule(value)) return { schedule: { kind: 'assets', condition: assetCondition(value) }, schedule_text: 'Asset' };
  if (isTimetable(value)) {
    const schedule = timetableSchedule(value);
    if (schedule.kind === 'cron') {
      const reason = cronProblem(schedule.expression.trim().split(/\s+/).join(' '));
      if (reason) throw new Error(`invalid schedule '${schedule.expression}': ${reason}`);
      return { schedule, schedule_text: `${value.constructor.name}(${JSON.stringify(schedule.expression)})` };
    }
    return { schedule, schedule_text: 'EventsTimetable' };
  }
  if (Array.isArray(value)) throw new Error('invalid schedule: a list schedule must hold Assets');

  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '@once') return { schedule: { kind: 'once' }, schedule_text: text };
    if (text === '@continuous') return { schedule: { kind: 'continuous' }, schedule_text: text };
    const preset = CRON_PRESETS[text];
    if (preset) return { schedule: { kind: 'cron', expression: preset }, schedule_text: text };
    if (text.startsWith('@')) {
      throw new Error(
        `invalid schedule '${value}': unknown preset (expected one of @once, @continuous, ${Object.keys(CRON_PRESETS).join(', ')})`,
      );
    }
    const expression = text.split(/\s+/).join(' ');
    const reason = cronProblem(expression);
    if (reason) throw new Error(`invalid schedule '${value}': ${reason}`);
    return { schedule: { kind: 'cron', expression }, schedule_text: text };
  }

  let seconds: number;
  try {
    seconds = durationToSeconds(value);
  } catch (error) {
    throw new Error(`invalid schedule: ${(error as Error).message}`, { cause: error });
  }
  if (seconds <= 0) throw new Error('invalid schedule: a duration schedule must be longer than 0 seconds');
  return { schedule: { kind: 'delta', seconds }, schedule_text: formatTimedelta(seconds) };
}

/** croner's reason why `expression` is not a 5-field cron expression, or null. */
export function cronProblem(expression: string): string | null {
  try {
    new CronPattern(expression, undefined, { mode: '5-part' });
    return null;
  } catch (error) {
    return String((error as Error).message).replace(/^CronPattern:\s*/, '');
  }
}
