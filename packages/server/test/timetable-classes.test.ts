/**
 * The timetable classes a DAG can pass as its schedule: CronTriggerTimetable
 * (a run at each tick, optional interval before it, its own timezone) and
 * EventsTimetable (listed moments), next to the data-interval cron default.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CronDataIntervalTimetable, CronTriggerTimetable, EventsTimetable } from '@updraft/sdk';
import { normalizeSchedule } from '../../sdk/src/schedule.ts';
import { describeSchedule, manualDataInterval, nextRunInfo, type TimetableInput } from '../src/scheduler/timetable.ts';

function input(schedule: TimetableInput['schedule'], over: Partial<TimetableInput> = {}): TimetableInput {
  return { schedule, timezone: 'UTC', start_date: '2024-01-01T00:00:00Z', end_date: null, catchup: true, ...over };
}

const iso = (d: Date | undefined) => d?.toISOString();

describe('CronTriggerTimetable', () => {
  const hourly = normalizeSchedule(new CronTriggerTimetable('0 * * * *')).schedule;

  it('runs at each tick with the tick as logical date', () => {
    const first = nextRunInfo(input(hourly), null, new Date('2024-01-01T05:30:00Z'));
    assert.equal(iso(first?.logical_date), '2024-01-01T00:00:00.000Z');
    assert.equal(iso(first?.run_after), '2024-01-01T00:00:00.000Z');
    assert.deepEqual([iso(first?.data_interval.start), iso(first?.data_interval.end)], ['2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z']);
    const second = nextRunInfo(input(hourly), first!.data_interval, new Date('2024-01-01T05:30:00Z'));
    assert.equal(iso(second?.logical_date), '2024-01-01T01:00:00.000Z');
  });

  it('without catchup starts at the latest tick', () => {
    const first = nextRunInfo(input(hourly, { catchup: false }), null, new Date('2024-01-01T05:30:00Z'));
    assert.equal(iso(first?.logical_date), '2024-01-01T05:00:00.000Z');
  });

  it('gives the data interval before each tick when asked, also for manual runs', () => {
    const withInterval = normalizeSchedule(new CronTriggerTimetable('0 0 * * *', { interval: { days: 1 } })).schedule;
    const first = nextRunInfo(input(withInterval), null, new Date('2024-01-03T00:00:00Z'));
    assert.deepEqual([iso(first?.data_interval.start), iso(first?.data_interval.end)], ['2023-12-31T00:00:00.000Z', '2024-01-01T00:00:00.000Z']);
    const manual = manualDataInterval(input(withInterval), new Date('2024-02-10T12:00:00Z'));
    assert.deepEqual([iso(manual.start), iso(manual.end)], ['2024-02-09T12:00:00.000Z', '2024-02-10T12:00:00.000Z']);
  });

  it('reads the cron in its own timezone', () => {
    const zurich = normalizeSchedule(new CronTriggerTimetable('0 9 * * *', { timezone: 'Europe/Zurich' })).schedule;
    const first = nextRunInfo(input(zurich), null, new Date('2024-01-03T00:00:00Z'));
    assert.equal(iso(first?.logical_date), '2024-01-01T08:00:00.000Z');
  });

  it('CronDataIntervalTimetable is what a cron string means', () => {
    assert.deepEqual(normalizeSchedule(new CronDataIntervalTimetable('0 0 * * *')).schedule, normalizeSchedule('0 0 * * *').schedule);
  });

  it('an invalid cron expression is refused with the expression named', () => {
    assert.throws(() => normalizeSchedule(new CronTriggerTimetable('61 * * * *')), /invalid schedule '61 \* \* \* \*'/);
  });
});

describe('EventsTimetable', () => {
  const events = normalizeSchedule(
    new EventsTimetable({ event_dates: ['2024-01-05T10:00:00Z', '2024-01-01T10:00:00Z', '2024-01-03T10:00:00Z'], description: 'Three launches' }),
  ).schedule;

  it('runs at the listed moments in order', () => {
    const now = new Date('2024-02-01T00:00:00Z');
    const first = nextRunInfo(input(events), null, now);
    assert.equal(iso(first?.logical_date), '2024-01-01T10:00:00.000Z');
    const second = nextRunInfo(input(events), first!.data_interval, now);
    assert.equal(iso(second?.logical_date), '2024-01-03T10:00:00.000Z');
    const third = nextRunInfo(input(events), second!.data_interval, now);
    assert.equal(iso(third?.logical_date), '2024-01-05T10:00:00.000Z');
    assert.equal(nextRunInfo(input(events), third!.data_interval, now), null);
  });

  it('without catchup starts at the latest past event', () => {
    const first = nextRunInfo(input(events, { catchup: false }), null, new Date('2024-01-04T00:00:00Z'));
    assert.equal(iso(first?.logical_date), '2024-01-03T10:00:00.000Z');
  });

  it('describes itself', () => {
    assert.equal(describeSchedule(input(events)), 'Three launches');
  });
});
