import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  describeSchedule,
  manualDataInterval,
  nextRunInfo,
  validateTimetable,
  type DataInterval,
  type TimetableInput,
} from '../src/scheduler/timetable.ts';

// Expected instants are written in UTC, which is unambiguous; comments give
// the wall-clock time they stand for in the DAG's timezone.

const FAR_FUTURE = '2100-01-01T00:00:00Z';

function input(over: Partial<TimetableInput> = {}): TimetableInput {
  return {
    schedule: { kind: 'cron', expression: '0 0 * * *' },
    timezone: 'UTC',
    start_date: '2024-01-01T00:00:00Z',
    end_date: null,
    catchup: true,
    ...over,
  };
}

const cron = (expression: string): TimetableInput['schedule'] => ({ kind: 'cron', expression });
const delta = (seconds: number): TimetableInput['schedule'] => ({ kind: 'delta', seconds });

/** "2024-01-01T00:00Z", with seconds and milliseconds only when they are not zero. */
function fmt(d: Date): string {
  return d.toISOString().replace(':00.000Z', 'Z').replace('.000Z', 'Z');
}

const fmtInterval = (i: DataInterval): string => `${fmt(i.start)}/${fmt(i.end)}`;

function interval(text: string): DataInterval {
  const [start, end] = text.split('/');
  return { start: new Date(start), end: new Date(end) };
}

interface SequenceCase {
  name: string;
  t: TimetableInput;
  /** the scheduler's clock; only matters without catchup */
  now?: string;
  /** the last automated run's interval, "start/end" */
  last?: string;
  /** consecutive runs as "start/end", each fed back as the last interval */
  expect: string[];
  /** the schedule has no run after the expected ones */
  ends?: boolean;
}

/**
 * Walks the schedule like the scheduler does and checks the data-interval
 * invariants on every run: a run is identified by its interval start and
 * happens at its end.
 */
function runTable(cases: SequenceCase[]): void {
  for (const c of cases) {
    it(c.name, () => {
      const now = new Date(c.now ?? FAR_FUTURE);
      let last = c.last ? interval(c.last) : null;
      const got: string[] = [];
      const wanted = c.expect.length + (c.ends ? 1 : 0);
      while (got.length < wanted) {
        const info = nextRunInfo(c.t, last, now);
        if (info === null) break;
        assert.equal(fmt(info.logical_date), fmt(info.data_interval.start), 'logical_date is the interval start');
        assert.equal(fmt(info.run_after), fmt(info.data_interval.end), 'run_after is the interval end');
        got.push(fmtInterval(info.data_interval));
        last = info.data_interval;
      }
      assert.deepEqual(got, c.expect);
    });
  }
}

describe('cron in UTC with catchup', () => {
  runTable([
    {
      name: '@daily: consecutive days from start_date',
      t: input({ schedule: cron('@daily') }),
      expect: [
        '2024-01-01T00:00Z/2024-01-02T00:00Z',
        '2024-01-02T00:00Z/2024-01-03T00:00Z',
        '2024-01-03T00:00Z/2024-01-04T00:00Z',
      ],
    },
    {
      name: '@hourly',
      t: input({ schedule: cron('0 * * * *') }),
      expect: [
        '2024-01-01T00:00Z/2024-01-01T01:00Z',
        '2024-01-01T01:00Z/2024-01-01T02:00Z',
        '2024-01-01T02:00Z/2024-01-01T03:00Z',
      ],
    },
    {
      name: '@weekly: Sunday to Sunday; a Monday start waits for the first Sunday',
      t: input({ schedule: cron('0 0 * * 0') }),
      expect: ['2024-01-07T00:00Z/2024-01-14T00:00Z', '2024-01-14T00:00Z/2024-01-21T00:00Z'],
    },
    {
      name: '@monthly: calendar months (February is short in the interval, not skipped)',
      t: input({ schedule: cron('0 0 1 * *') }),
      expect: [
        '2024-01-01T00:00Z/2024-02-01T00:00Z',
        '2024-02-01T00:00Z/2024-03-01T00:00Z',
        '2024-03-01T00:00Z/2024-04-01T00:00Z',
      ],
    },
    {
      name: '@quarterly',
      t: input({ schedule: cron('0 0 1 */3 *') }),
      expect: [
        '2024-01-01T00:00Z/2024-04-01T00:00Z',
        '2024-04-01T00:00Z/2024-07-01T00:00Z',
        '2024-07-01T00:00Z/2024-10-01T00:00Z',
        '2024-10-01T00:00Z/2025-01-01T00:00Z',
      ],
    },
    {
      name: '@quarterly written as the preset, start mid-quarter',
      t: input({ schedule: cron('@quarterly'), start_date: '2024-02-10T00:00:00Z' }),
      expect: ['2024-04-01T00:00Z/2024-07-01T00:00Z'],
    },
    {
      name: '@yearly',
      t: input({ schedule: cron('0 0 1 1 *') }),
      expect: ['2024-01-01T00:00Z/2025-01-01T00:00Z', '2025-01-01T00:00Z/2026-01-01T00:00Z'],
    },
    {
      name: 'a start long ago backfills from start_date, whatever the time now',
      t: input({ start_date: '2020-01-01T00:00:00Z' }),
      now: '2024-03-15T10:00:00Z',
      expect: [
        '2020-01-01T00:00Z/2020-01-02T00:00Z',
        '2020-01-02T00:00Z/2020-01-03T00:00Z',
        '2020-01-03T00:00Z/2020-01-04T00:00Z',
      ],
    },
    {
      name: 'start_date between ticks: the first interval starts at the next tick',
      t: input({ start_date: '2024-01-01T10:17:00Z' }),
      expect: ['2024-01-02T00:00Z/2024-01-03T00:00Z'],
    },
    {
      name: 'start_date between ticks of a weekday schedule (Friday 07:00 → Monday 06:30)',
      t: input({ schedule: cron('30 6 * * 1-5'), start_date: '2024-01-05T07:00:00Z' }),
      expect: ['2024-01-08T06:30Z/2024-01-09T06:30Z', '2024-01-09T06:30Z/2024-01-10T06:30Z'],
    },
    {
      name: 'start_date with milliseconds just past a tick moves to the next one',
      t: input({ start_date: '2024-01-01T00:00:00.001Z' }),
      expect: ['2024-01-02T00:00Z/2024-01-03T00:00Z'],
    },
    {
      name: 'start_date given in another offset is the same instant',
      t: input({ start_date: '2024-01-01T01:00:00+01:00' }),
      expect: ['2024-01-01T00:00Z/2024-01-02T00:00Z'],
    },
    {
      name: 'last interval off the grid (schedule edited) resumes from the tick at or before its end',
      t: input(),
      last: '2024-03-01T12:00:00Z/2024-03-02T12:00:00Z',
      expect: ['2024-03-02T00:00Z/2024-03-03T00:00Z'],
    },
  ]);
});

describe('cron without catchup', () => {
  const noCatchup = (over: Partial<TimetableInput> = {}) =>
    input({ start_date: '2020-01-01T00:00:00Z', catchup: false, ...over });
  runTable([
    {
      name: 'jumps to the latest complete interval',
      t: noCatchup(),
      now: '2024-03-15T10:00:00Z',
      expect: ['2024-03-14T00:00Z/2024-03-15T00:00Z', '2024-03-15T00:00Z/2024-03-16T00:00Z'],
    },
    {
      name: 'now exactly on a tick: the interval that ends now',
      t: noCatchup(),
      now: '2024-03-15T00:00:00Z',
      expect: ['2024-03-14T00:00Z/2024-03-15T00:00Z'],
    },
    {
      name: 'now a millisecond before a tick: that interval has not ended yet',
      t: noCatchup(),
      now: '2024-03-14T23:59:59.999Z',
      expect: ['2024-03-13T00:00Z/2024-03-14T00:00Z'],
    },
    {
      name: 'after a long pause the last run is far behind: skip ahead',
      t: noCatchup(),
      now: '2024-03-15T10:00:00Z',
      last: '2020-01-01T00:00:00Z/2020-01-02T00:00:00Z',
      expect: ['2024-03-14T00:00Z/2024-03-15T00:00Z'],
    },
    {
      name: 'up to date: the next interval, even though it has not ended yet',
      t: noCatchup(),
      now: '2024-03-15T10:00:00Z',
      last: '2024-03-14T00:00:00Z/2024-03-15T00:00:00Z',
      expect: ['2024-03-15T00:00Z/2024-03-16T00:00Z'],
    },
    {
      name: 'never earlier than start_date',
      t: noCatchup({ start_date: '2024-03-15T00:00:00Z' }),
      now: '2024-03-15T10:00:00Z',
      expect: ['2024-03-15T00:00Z/2024-03-16T00:00Z'],
    },
    {
      name: 'start_date in the future, aligned to the schedule',
      t: noCatchup({ start_date: '2024-06-01T12:00:00Z' }),
      now: '2024-03-15T10:00:00Z',
      expect: ['2024-06-02T00:00Z/2024-06-03T00:00Z'],
    },
    {
      name: 'hourly',
      t: noCatchup({ schedule: cron('@hourly') }),
      now: '2024-03-15T10:30:00Z',
      expect: ['2024-03-15T09:00Z/2024-03-15T10:00Z', '2024-03-15T10:00Z/2024-03-15T11:00Z'],
    },
    {
      name: 'weekly, on a Friday: the week that ended last Sunday',
      t: noCatchup({ schedule: cron('@weekly') }),
      now: '2024-03-15T10:00:00Z',
      expect: ['2024-03-03T00:00Z/2024-03-10T00:00Z'],
    },
    {
      name: 'in a timezone: the latest complete New York day',
      t: noCatchup({ timezone: 'America/New_York' }),
      now: '2024-03-15T10:00:00Z', // 06:00 EDT
      expect: ['2024-03-14T04:00Z/2024-03-15T04:00Z'],
    },
  ]);
});

describe('end_date', () => {
  runTable([
    {
      name: 'an interval may start on end_date, none after it',
      t: input({ end_date: '2024-01-03T00:00:00Z' }),
      expect: [
        '2024-01-01T00:00Z/2024-01-02T00:00Z',
        '2024-01-02T00:00Z/2024-01-03T00:00Z',
        '2024-01-03T00:00Z/2024-01-04T00:00Z',
      ],
      ends: true,
    },
    {
      name: 'end_date between ticks',
      t: input({ end_date: '2024-01-02T12:00:00Z' }),
      expect: ['2024-01-01T00:00Z/2024-01-02T00:00Z', '2024-01-02T00:00Z/2024-01-03T00:00Z'],
      ends: true,
    },
    {
      name: 'without catchup, an end_date in the past stops everything',
      t: input({ catchup: false, end_date: '2024-02-01T00:00:00Z' }),
      now: '2024-03-15T10:00:00Z',
      expect: [],
      ends: true,
    },
    {
      name: 'delta',
      t: input({ schedule: delta(6 * 3600), end_date: '2024-01-01T06:00:00Z' }),
      expect: ['2024-01-01T00:00Z/2024-01-01T06:00Z', '2024-01-01T06:00Z/2024-01-01T12:00Z'],
      ends: true,
    },
  ]);
});

describe('delta schedules', () => {
  runTable([
    {
      name: 'consecutive intervals from start_date',
      t: input({ schedule: delta(6 * 3600) }),
      expect: [
        '2024-01-01T00:00Z/2024-01-01T06:00Z',
        '2024-01-01T06:00Z/2024-01-01T12:00Z',
        '2024-01-01T12:00Z/2024-01-01T18:00Z',
      ],
    },
    {
      name: 'not aligned to any clock: start_date is the grid',
      t: input({ schedule: delta(6 * 3600), start_date: '2024-01-01T10:17:00Z' }),
      expect: ['2024-01-01T10:17Z/2024-01-01T16:17Z', '2024-01-01T16:17Z/2024-01-01T22:17Z'],
    },
    {
      name: 'without catchup: the interval ending now (to the second)',
      t: input({ schedule: delta(6 * 3600), catchup: false, start_date: '2020-01-01T00:00:00Z' }),
      now: '2024-03-15T10:00:00.500Z',
      expect: ['2024-03-15T04:00Z/2024-03-15T10:00Z', '2024-03-15T10:00Z/2024-03-15T16:00Z'],
    },
    {
      name: 'without catchup, after a long pause',
      t: input({ schedule: delta(6 * 3600), catchup: false, start_date: '2020-01-01T00:00:00Z' }),
      now: '2024-03-15T10:00:00Z',
      last: '2020-01-01T00:00:00Z/2020-01-01T06:00:00Z',
      expect: ['2024-03-15T04:00Z/2024-03-15T10:00Z'],
    },
    {
      name: 'without catchup, never before start_date',
      t: input({ schedule: delta(6 * 3600), catchup: false, start_date: '2024-03-15T08:00:00Z' }),
      now: '2024-03-15T10:00:00Z',
      expect: ['2024-03-15T08:00Z/2024-03-15T14:00Z'],
    },
    {
      name: 'a day is 24 real hours, also across DST (New York, 00:00 EST → 01:00 EDT)',
      t: input({ schedule: delta(86400), timezone: 'America/New_York', start_date: '2024-03-09T00:00:00-05:00' }),
      expect: ['2024-03-09T05:00Z/2024-03-10T05:00Z', '2024-03-10T05:00Z/2024-03-11T05:00Z'],
    },
  ]);
});

describe('once, continuous and none', () => {
  const now = new Date('2024-03-15T10:00:00Z');
  const exact = (iso: string) => ({ logical_date: new Date(iso), data_interval: interval(`${iso}/${iso}`), run_after: new Date(iso) });
  const cases: { name: string; t: TimetableInput; last: string | null; expect: ReturnType<typeof exact> | null }[] = [
    { name: 'once: at start_date', t: input({ schedule: { kind: 'once' }, start_date: '2024-01-01T12:00:00Z' }), last: null, expect: exact('2024-01-01T12:00:00Z') },
    {
      name: 'once: at start_date even without catchup',
      t: input({ schedule: { kind: 'once' }, start_date: '2020-01-01T12:00:00Z', catchup: false }),
      last: null,
      expect: exact('2020-01-01T12:00:00Z'),
    },
    { name: 'once: not again', t: input({ schedule: { kind: 'once' } }), last: '2024-01-01T00:00:00Z/2024-01-01T00:00:00Z', expect: null },
    { name: 'once: not after end_date', t: input({ schedule: { kind: 'once' }, end_date: '2023-12-31T00:00:00Z' }), last: null, expect: null },
    { name: 'once: not without start_date', t: input({ schedule: { kind: 'once' }, start_date: null }), last: null, expect: null },
    { name: 'continuous: first run now', t: input({ schedule: { kind: 'continuous' } }), last: null, expect: exact('2024-03-15T10:00:00Z') },
    {
      name: 'continuous: first run not before start_date',
      t: input({ schedule: { kind: 'continuous' }, start_date: '2024-04-01T00:00:00Z' }),
      last: null,
      expect: exact('2024-04-01T00:00:00Z'),
    },
    {
      name: 'continuous: next run now',
      t: input({ schedule: { kind: 'continuous' } }),
      last: '2024-03-15T09:00:00Z/2024-03-15T09:00:00Z',
      expect: exact('2024-03-15T10:00:00Z'),
    },
    {
      name: 'continuous: not before the last run',
      t: input({ schedule: { kind: 'continuous' } }),
      last: '2024-03-15T11:00:00Z/2024-03-15T11:00:00Z',
      expect: exact('2024-03-15T11:00:00.001Z'),
    },
    {
      name: 'continuous: a new logical date even within the same millisecond',
      t: input({ schedule: { kind: 'continuous' } }),
      last: '2024-03-15T10:00:00Z/2024-03-15T10:00:00Z',
      expect: exact('2024-03-15T10:00:00.001Z'),
    },
    {
      name: 'continuous: stops at end_date',
      t: input({ schedule: { kind: 'continuous' }, end_date: '2024-03-01T00:00:00Z' }),
      last: '2024-02-29T00:00:00Z/2024-02-29T00:00:00Z',
      expect: null,
    },
    { name: 'continuous: not without start_date', t: input({ schedule: { kind: 'continuous' }, start_date: null }), last: null, expect: null },
    { name: 'none: never', t: input({ schedule: { kind: 'none' } }), last: null, expect: null },
    { name: 'cron: not without start_date', t: input({ start_date: null, catchup: false }), last: null, expect: null },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(nextRunInfo(c.t, c.last ? interval(c.last) : null, now), c.expect);
    });
  }
});

describe('manual runs', () => {
  const cases: { name: string; t: TimetableInput; at: string; expect: string }[] = [
    { name: 'daily: the last complete day', t: input(), at: '2024-03-15T10:00:00Z', expect: '2024-03-14T00:00Z/2024-03-15T00:00Z' },
    { name: 'daily, on a tick: the day ending then', t: input(), at: '2024-03-15T00:00:00Z', expect: '2024-03-14T00:00Z/2024-03-15T00:00Z' },
    { name: 'hourly', t: input({ schedule: cron('@hourly') }), at: '2024-03-15T10:30:00Z', expect: '2024-03-15T09:00Z/2024-03-15T10:00Z' },
    {
      name: 'daily in New York, on the short DST day',
      t: input({ timezone: 'America/New_York' }),
      at: '2024-03-11T12:00:00Z', // 08:00 EDT on the 11th: the 10th is 23 hours long
      expect: '2024-03-10T05:00Z/2024-03-11T04:00Z',
    },
    { name: 'delta: the delta ending at the logical date', t: input({ schedule: delta(3600) }), at: '2024-03-15T10:17:00Z', expect: '2024-03-15T09:17Z/2024-03-15T10:17Z' },
    { name: 'none: an empty interval', t: input({ schedule: { kind: 'none' }, start_date: null }), at: '2024-03-15T10:17:00Z', expect: '2024-03-15T10:17Z/2024-03-15T10:17Z' },
    { name: 'once: an empty interval', t: input({ schedule: { kind: 'once' } }), at: '2024-03-15T10:17:00Z', expect: '2024-03-15T10:17Z/2024-03-15T10:17Z' },
    { name: 'continuous: an empty interval', t: input({ schedule: { kind: 'continuous' } }), at: '2024-03-15T10:17:00Z', expect: '2024-03-15T10:17Z/2024-03-15T10:17Z' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(fmtInterval(manualDataInterval(c.t, new Date(c.at))), c.expect);
    });
  }
});

describe('timezones and DST', () => {
  const zoned = (timezone: string, expression: string, start_date: string) =>
    input({ timezone, schedule: cron(expression), start_date });
  runTable([
    // America/New_York 2024: 02:00 EST → 03:00 EDT on March 10; 02:00 EDT → 01:00 EST on November 3.
    {
      name: 'New York daily midnight: the spring-forward day is 23 hours',
      t: zoned('America/New_York', '0 0 * * *', '2024-03-09T00:00:00-05:00'),
      expect: ['2024-03-09T05:00Z/2024-03-10T05:00Z', '2024-03-10T05:00Z/2024-03-11T04:00Z', '2024-03-11T04:00Z/2024-03-12T04:00Z'],
    },
    {
      name: 'New York daily midnight: the fall-back day is 25 hours',
      t: zoned('America/New_York', '0 0 * * *', '2024-11-02T00:00:00-04:00'),
      expect: ['2024-11-02T04:00Z/2024-11-03T04:00Z', '2024-11-03T04:00Z/2024-11-04T05:00Z', '2024-11-04T05:00Z/2024-11-05T05:00Z'],
    },
    {
      name: 'New York 02:30 does not exist on March 10: that day fires at 03:00 EDT',
      t: zoned('America/New_York', '30 2 * * *', '2024-03-09T00:00:00-05:00'),
      expect: ['2024-03-09T07:30Z/2024-03-10T07:00Z', '2024-03-10T07:00Z/2024-03-11T06:30Z', '2024-03-11T06:30Z/2024-03-12T06:30Z'],
    },
    {
      name: 'New York 01:00 happens twice on November 3: a daily schedule fires once (01:00 EDT)',
      t: zoned('America/New_York', '0 1 * * *', '2024-11-02T00:00:00-04:00'),
      expect: ['2024-11-02T05:00Z/2024-11-03T05:00Z', '2024-11-03T05:00Z/2024-11-04T06:00Z', '2024-11-04T06:00Z/2024-11-05T06:00Z'],
    },
    {
      name: 'New York fixed times in a list also fire once at fall-back',
      t: zoned('America/New_York', '30 1,13 * * *', '2024-11-03T00:00:00-04:00'),
      expect: ['2024-11-03T05:30Z/2024-11-03T18:30Z', '2024-11-03T18:30Z/2024-11-04T06:30Z'],
    },
    {
      name: 'New York hourly at spring-forward: every real hour, no 02:00',
      t: zoned('America/New_York', '0 * * * *', '2024-03-10T00:00:00-05:00'),
      // 00:00 EST, 01:00 EST, 03:00 EDT, 04:00 EDT, 05:00 EDT
      expect: ['2024-03-10T05:00Z/2024-03-10T06:00Z', '2024-03-10T06:00Z/2024-03-10T07:00Z', '2024-03-10T07:00Z/2024-03-10T08:00Z', '2024-03-10T08:00Z/2024-03-10T09:00Z'],
    },
    {
      name: 'New York hourly at fall-back: both 01:00 EDT and 01:00 EST',
      t: zoned('America/New_York', '0 * * * *', '2024-11-03T00:00:00-04:00'),
      // 00:00 EDT, 01:00 EDT, 01:00 EST, 02:00 EST, 03:00 EST
      expect: ['2024-11-03T04:00Z/2024-11-03T05:00Z', '2024-11-03T05:00Z/2024-11-03T06:00Z', '2024-11-03T06:00Z/2024-11-03T07:00Z', '2024-11-03T07:00Z/2024-11-03T08:00Z'],
    },
    {
      name: 'New York: an hour range covering the whole day counts as hourly, as in Airflow',
      t: zoned('America/New_York', '0 0-23 * * *', '2024-11-03T01:00:00-04:00'),
      expect: ['2024-11-03T05:00Z/2024-11-03T06:00Z', '2024-11-03T06:00Z/2024-11-03T07:00Z'],
    },
    // Europe/Zurich 2024: 02:00 CET → 03:00 CEST on March 31; 03:00 CEST → 02:00 CET on October 27.
    {
      name: 'Zurich daily midnight across spring-forward',
      t: zoned('Europe/Zurich', '0 0 * * *', '2024-03-30T00:00:00+01:00'),
      expect: ['2024-03-29T23:00Z/2024-03-30T23:00Z', '2024-03-30T23:00Z/2024-03-31T22:00Z', '2024-03-31T22:00Z/2024-04-01T22:00Z'],
    },
    {
      name: 'Zurich 02:30 in the gap fires at 03:00 CEST',
      t: zoned('Europe/Zurich', '30 2 * * *', '2024-03-30T00:00:00+01:00'),
      expect: ['2024-03-30T01:30Z/2024-03-31T01:00Z', '2024-03-31T01:00Z/2024-04-01T00:30Z'],
    },
    {
      name: 'Zurich 02:30 twice on October 27 fires once, at 02:30 CEST',
      t: zoned('Europe/Zurich', '30 2 * * *', '2024-10-26T00:00:00+02:00'),
      expect: ['2024-10-26T00:30Z/2024-10-27T00:30Z', '2024-10-27T00:30Z/2024-10-28T01:30Z'],
    },
    {
      name: 'Zurich hourly at spring-forward: 01:00 CET then 03:00 CEST',
      t: zoned('Europe/Zurich', '0 * * * *', '2024-03-31T01:00:00+01:00'),
      expect: ['2024-03-31T00:00Z/2024-03-31T01:00Z', '2024-03-31T01:00Z/2024-03-31T02:00Z'],
    },
    {
      name: 'Zurich hourly at fall-back: 02:00 CEST and 02:00 CET',
      t: zoned('Europe/Zurich', '0 * * * *', '2024-10-27T01:00:00+02:00'),
      expect: ['2024-10-26T23:00Z/2024-10-27T00:00Z', '2024-10-27T00:00Z/2024-10-27T01:00Z', '2024-10-27T01:00Z/2024-10-27T02:00Z', '2024-10-27T02:00Z/2024-10-27T03:00Z'],
    },
    // Australia/Sydney 2024: 03:00 AEDT → 02:00 AEST on April 7; 02:00 AEST → 03:00 AEDT on October 6.
    {
      name: 'Sydney daily midnight: October 6 is 23 hours (DST starts in spring, in October)',
      t: zoned('Australia/Sydney', '0 0 * * *', '2024-10-05T00:00:00+10:00'),
      expect: ['2024-10-04T14:00Z/2024-10-05T14:00Z', '2024-10-05T14:00Z/2024-10-06T13:00Z', '2024-10-06T13:00Z/2024-10-07T13:00Z'],
    },
    {
      name: 'Sydney 02:30 in the October gap fires at 03:00 AEDT',
      t: zoned('Australia/Sydney', '30 2 * * *', '2024-10-05T00:00:00+10:00'),
      expect: ['2024-10-04T16:30Z/2024-10-05T16:00Z', '2024-10-05T16:00Z/2024-10-06T15:30Z'],
    },
    {
      name: 'Sydney 02:30 twice on April 7 fires once, at 02:30 AEDT',
      t: zoned('Australia/Sydney', '30 2 * * *', '2024-04-06T00:00:00+11:00'),
      expect: ['2024-04-05T15:30Z/2024-04-06T15:30Z', '2024-04-06T15:30Z/2024-04-07T16:30Z'],
    },
    {
      name: 'Sydney hourly in April: 02:00 AEDT and 02:00 AEST',
      t: zoned('Australia/Sydney', '0 * * * *', '2024-04-07T01:00:00+11:00'),
      expect: ['2024-04-06T14:00Z/2024-04-06T15:00Z', '2024-04-06T15:00Z/2024-04-06T16:00Z', '2024-04-06T16:00Z/2024-04-06T17:00Z'],
    },
    {
      name: 'Sydney hourly in October: 01:00 AEST then 03:00 AEDT',
      t: zoned('Australia/Sydney', '0 * * * *', '2024-10-06T01:00:00+10:00'),
      expect: ['2024-10-05T15:00Z/2024-10-05T16:00Z', '2024-10-05T16:00Z/2024-10-05T17:00Z'],
    },
    // Asia/Kolkata: +05:30 all year, so days and hours stay exactly 24 h and 1 h, on the half hour in UTC.
    {
      name: 'Kolkata daily midnight is 18:30 UTC, through the dates other zones shift',
      t: zoned('Asia/Kolkata', '0 0 * * *', '2024-03-09T00:00:00+05:30'),
      expect: ['2024-03-08T18:30Z/2024-03-09T18:30Z', '2024-03-09T18:30Z/2024-03-10T18:30Z', '2024-03-10T18:30Z/2024-03-11T18:30Z'],
    },
    {
      name: 'Kolkata 02:30 daily',
      t: zoned('Asia/Kolkata', '30 2 * * *', '2024-11-02T00:00:00+05:30'),
      // 02:30 IST on November 2 is 21:00 UTC on November 1
      expect: ['2024-11-01T21:00Z/2024-11-02T21:00Z', '2024-11-02T21:00Z/2024-11-03T21:00Z'],
    },
    {
      name: 'Kolkata hourly on the half hour in UTC',
      t: zoned('Asia/Kolkata', '0 * * * *', '2024-11-03T00:00:00+05:30'),
      expect: ['2024-11-02T18:30Z/2024-11-02T19:30Z', '2024-11-02T19:30Z/2024-11-02T20:30Z', '2024-11-02T20:30Z/2024-11-02T21:30Z'],
    },
  ]);
});

describe('describeSchedule', () => {
  const cases: [TimetableInput['schedule'], string, string?][] = [
    [{ kind: 'none' }, 'Never (manual only)'],
    [{ kind: 'once' }, 'Once'],
    [{ kind: 'continuous' }, 'Continuously, one run at a time'],
    [cron('0 * * * *'), 'Every hour'],
    [cron('@hourly'), 'Every hour'],
    [cron('0 0 * * *'), 'At 00:00 every day'],
    [cron('@daily'), 'At 00:00 every day'],
    [cron('0 0 * * 0'), 'At 00:00 every Sunday'],
    [cron('0 0 1 * *'), 'At 00:00 on day 1 of every month'],
    [cron('0 0 1 */3 *'), 'At 00:00 on day 1 of January, April, July and October'],
    [cron('0 0 1 1 *'), 'At 00:00 on January 1 every year'],
    [cron('* * * * *'), 'Every minute'],
    [cron('*/15 * * * *'), 'Every 15 minutes'],
    [cron('15 * * * *'), 'At minute 15 past every hour'],
    [cron('0 */2 * * *'), 'Every 2 hours'],
    [cron('0 */5 * * *'), 'At minute 0 past every 5th hour'],
    [cron('30 6 * * 1-5'), 'At 06:30 on Monday through Friday'],
    [cron('0 9,17 * * MON,WED'), 'At 09:00 and 17:00 on Monday and Wednesday'],
    [cron('*/10 9-17 * * *'), 'Every 10 minutes from 09:00 through 17:59 every day'],
    [cron('0 12 * 6-8 *'), 'At 12:00 every day in June, July and August'],
    [cron('0 0 1,15 * *'), 'At 00:00 on days 1 and 15 of every month'],
    [cron('0 0 L * *'), 'Cron "0 0 L * *"'],
    [cron('0 0 1 * 1'), 'Cron "0 0 1 * 1"'],
    [cron('0 0 * * *'), 'At 00:00 every day (Europe/Zurich)', 'Europe/Zurich'],
    [cron('0 0 * * *'), 'At 00:00 every day', 'Etc/UTC'],
    [delta(3600), 'Every hour'],
    [delta(86400), 'Every day'],
    [delta(21600), 'Every 6 hours'],
    [delta(5400), 'Every 1 hour and 30 minutes'],
    [delta(90061), 'Every 1 day, 1 hour, 1 minute and 1 second'],
    [delta(30), 'Every 30 seconds'],
  ];
  for (const [schedule, expected, timezone] of cases) {
    it(`${JSON.stringify(schedule)}${timezone ? ` in ${timezone}` : ''} → ${expected}`, () => {
      assert.equal(describeSchedule(input({ schedule, timezone: timezone ?? 'UTC' })), expected);
    });
  }
});

describe('validateTimetable', () => {
  const cases: [string, TimetableInput, string | RegExp | null][] = [
    ['a daily cron', input(), null],
    ['a preset in a timezone', input({ schedule: cron('@quarterly'), timezone: 'Australia/Sydney' }), null],
    ['no schedule needs no start_date', input({ schedule: { kind: 'none' }, start_date: null }), null],
    ['a delta with a start_date', input({ schedule: delta(60) }), null],
    ['an out-of-range field, with croner’s message', input({ schedule: cron('61 * * * *') }), /^invalid cron expression '61 \* \* \* \*': .*minute/],
    ['not a cron expression', input({ schedule: cron('every day') }), /^invalid cron expression 'every day': /],
    ['six fields (seconds are not part of Airflow cron)', input({ schedule: cron('0 0 0 * * *') }), /^invalid cron expression/],
    ['a date that never exists', input({ schedule: cron('0 0 30 2 *') }), "cron expression '0 0 30 2 *' never fires after start_date"],
    ['an unknown timezone', input({ timezone: 'Mars/Olympus_Mons' }), "unknown timezone 'Mars/Olympus_Mons'"],
    ['end_date before start_date', input({ end_date: '2023-12-31T00:00:00Z' }), 'end_date 2023-12-31T00:00:00Z is before start_date 2024-01-01T00:00:00Z'],
    ['end_date equal to start_date is allowed', input({ end_date: '2024-01-01T00:00:00Z' }), null],
    ['cron without start_date', input({ start_date: null }), 'start_date is required for a scheduled DAG'],
    ['once without start_date', input({ schedule: { kind: 'once' }, start_date: null }), 'start_date is required for a scheduled DAG'],
    ['continuous without start_date', input({ schedule: { kind: 'continuous' }, start_date: null }), 'start_date is required for a scheduled DAG'],
    ['a zero delta', input({ schedule: delta(0) }), 'schedule interval must be a positive number of seconds, got 0'],
    ['a start_date without offset', input({ start_date: '2024-01-01T00:00:00' }), /^start_date must be an ISO-8601 date-time with a UTC offset/],
    ['a garbage end_date', input({ end_date: 'tomorrow' }), /^end_date must be an ISO-8601/],
    ['an unknown schedule kind', input({ schedule: { kind: 'dataset' } as unknown as TimetableInput['schedule'] }), "unknown schedule kind 'dataset'"],
  ];
  for (const [name, t, expected] of cases) {
    it(name, () => {
      const got = validateTimetable(t);
      if (expected instanceof RegExp) assert.match(got ?? '', expected);
      else assert.equal(got, expected);
    });
  }
});
