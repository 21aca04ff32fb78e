/** The UI's time zone arithmetic (pure functions, no browser). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, formatIn, resolveZone, zonedToUtc } from '../src/time-format.ts';

test('an instant is shown in the chosen zone, with its abbreviation', () => {
  const t = '2024-07-01T12:34:56.789Z';
  assert.equal(formatIn('UTC', t), '2024-07-01 12:34:56 UTC');
  assert.equal(formatIn('America/New_York', t), '2024-07-01 08:34:56 EDT');
  assert.equal(formatIn('Asia/Tokyo', t, false), '2024-07-01 21:34:56');
  assert.equal(formatIn('Europe/Paris', t, true, true), '2024-07-01 14:34:56.789 GMT+2');
  assert.equal(formatIn('UTC', null), '');
});

test('setting values: UTC, the browser zone, an IANA name, and nonsense falling back to UTC', () => {
  assert.equal(resolveZone('utc'), 'UTC');
  assert.equal(resolveZone('America/New_York'), 'America/New_York');
  assert.equal(resolveZone('system'), Intl.DateTimeFormat().resolvedOptions().timeZone);
  assert.equal(resolveZone('Not/AZone'), 'UTC');
});

test('a wall-clock time in a zone is the right instant, across daylight saving changes', () => {
  assert.equal(zonedToUtc('2024-01-15T09:30', 'America/New_York').toISOString(), '2024-01-15T14:30:00.000Z');
  assert.equal(zonedToUtc('2024-07-15T09:30', 'America/New_York').toISOString(), '2024-07-15T13:30:00.000Z');
  assert.equal(zonedToUtc('2024-03-31T03:30:15', 'Europe/Paris').toISOString(), '2024-03-31T01:30:15.000Z');
  assert.equal(zonedToUtc('2024-06-01T00:00', 'UTC').toISOString(), '2024-06-01T00:00:00.000Z');
});

test('durations read as people write them', () => {
  assert.equal(formatDuration(0.25), '250 ms');
  assert.equal(formatDuration(42), '42s');
  assert.equal(formatDuration(125), '2m 05s');
  assert.equal(formatDuration(3723), '1h 02m 03s');
  assert.equal(formatDuration(null), '');
});
