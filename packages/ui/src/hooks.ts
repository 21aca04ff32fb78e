/** Data loading: one hook for "GET this URL, optionally poll it, let me reload it". */
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, get } from './api.ts';

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload(): void;
}

/**
 * GETs `url` (null: nothing yet); with pollMs, again every pollMs while `poll` stays true.
 * keep: when the URL changes, show the previous answer until the new one arrives.
 */
export function useApi<T = any>(url: string | null, options: { pollMs?: number; poll?: boolean; keep?: boolean } = {}): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(!!url);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const lastUrl = useRef(url);
  const keepPrevious = useRef(options.keep);
  keepPrevious.current = options.keep;

  useEffect(() => {
    if (!url) return;
    if (lastUrl.current !== url) {
      // a different resource: do not show the previous one's data meanwhile (unless asked to)
      if (!keepPrevious.current) setData(null);
      lastUrl.current = url;
    }
    const ctrl = new AbortController();
    setLoading(true);
    get<T>(url, ctrl.signal)
      .then((d) => {
        setData(d);
        setError(null);
      })
      .catch((e: unknown) => {
        if ((e as Error).name === 'AbortError') return;
        setError(e instanceof ApiError || e instanceof Error ? e.message : String(e));
      })
      .finally(() => !ctrl.signal.aborted && setLoading(false));
    return () => ctrl.abort();
  }, [url, tick]);

  const { pollMs, poll = true } = options;
  useEffect(() => {
    if (!url || !pollMs || !poll) return;
    const timer = setInterval(reload, pollMs);
    return () => clearInterval(timer);
  }, [url, pollMs, poll, reload]);

  return { data, error, loading, reload };
}

/** a value kept in localStorage */
export function useStored(key: string, initial: string): [string, (v: string) => void] {
  const [value, setValue] = useState(() => localStorage.getItem(key) ?? initial);
  const set = useCallback(
    (v: string) => {
      localStorage.setItem(key, v);
      setValue(v);
    },
    [key],
  );
  return [value, set];
}
