import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatInTimezone, isValidTimezone, parseDagDate, timezoneOffsetMs } from '../src/dates.ts';

describe('dates', () => {
  it('UTC under any of its spellings is valid and has no offset (answered without Intl)', () => {
    // any use of Intl's date formatting on this path throws: the answers must come without it
    const real = Intl.DateTimeFormat;
    Intl.DateTimeFormat = function noIntl() {
      throw new Error('Intl.DateTimeFormat used for UTC');
    } as unknown as typeof Intl.DateTimeFormat;
    try {
      for (const name of ['UTC', 'utc', 'Etc/UTC']) {
        assert.equal(isValidTimezone(name), true, name);
        assert.equal(timezoneOffsetMs(Date.UTC(2024, 6, 1, 12), name), 0, name);
        assert.equal(formatInTimezone(new Date(Date.UTC(2024, 6, 1, 12, 30)), name), '2024-07-01T12:30:00+00:00');
        assert.equal(parseDagDate('2024-07-01', name).toISOString(), '2024-07-01T00:00:00.000Z');
      }
    } finally {
      Intl.DateTimeFormat = real;
    }
  });

  it('other zones go through Intl: offsets with daylight saving, unknown names refused', () => {
    assert.equal(isValidTimezone('Europe/Paris'), true);
    assert.equal(isValidTimezone('Mars/Olympus_Mons'), false);
    assert.equal(isValidTimezone(''), false);
    assert.equal(formatInTimezone(new Date(Date.UTC(2024, 0, 1)), 'Europe/Paris'), '2024-01-01T01:00:00+01:00');
    assert.equal(formatInTimezone(new Date(Date.UTC(2024, 6, 1)), 'Europe/Paris'), '2024-07-01T02:00:00+02:00');
    assert.equal(parseDagDate('2024-07-01', 'America/New_York').toISOString(), '2024-07-01T04:00:00.000Z');
  });
});
