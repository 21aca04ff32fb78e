/**
 * Every time on every page goes through useTime(): the zone is the one the
 * user picked (kept in localStorage), else `[webserver] default_ui_timezone`,
 * else UTC. "system" means the browser's own zone, as in Airflow.
 */
import { createContext, useContext, useMemo } from 'react';
import { formatIn, resolveZone } from './time-format.ts';

export { browserZone, formatDuration, formatIn, resolveZone, zonedToUtc } from './time-format.ts';

export const TZ_KEY = 'updraft.timezone';

export interface TimeApi {
  /** the setting as chosen: "UTC", "system" or an IANA name */
  setting: string;
  zone: string;
  setSetting(value: string): void;
  format(value: string | number | Date | null | undefined): string;
}

export const TimeContext = createContext<TimeApi>({ setting: 'UTC', zone: 'UTC', setSetting: () => undefined, format: (v) => formatIn('UTC', v) });

export function useTime(): TimeApi {
  return useContext(TimeContext);
}

export function useTimeApi(setting: string, setSetting: (v: string) => void): TimeApi {
  return useMemo(() => {
    const zone = resolveZone(setting);
    return { setting, zone, setSetting, format: (v) => formatIn(zone, v) };
  }, [setting, setSetting]);
}

/** Time: a <time> element in the chosen zone */
export function Time({ value }: { value: string | null | undefined }) {
  const { format } = useTime();
  if (!value) return <span className="muted">–</span>;
  return <time dateTime={value}>{format(value)}</time>;
}
