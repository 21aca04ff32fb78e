/** Task and run states: Airflow's names, one colour each (CSS variables --state-<name>). */
export const TI_STATES = ['success', 'running', 'failed', 'upstream_failed', 'skipped', 'up_for_retry', 'up_for_reschedule', 'queued', 'scheduled', 'deferred', 'removed', 'restarting', 'none'] as const;

export const stateColor = (state: string | null | undefined) => `var(--state-${state ?? 'none'}, var(--state-none))`;

/** states in which a task instance or run may still change by itself */
export const ACTIVE_STATES = new Set(['running', 'queued', 'scheduled', 'up_for_retry', 'up_for_reschedule', 'deferred', 'restarting']);
