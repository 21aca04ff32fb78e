/** dag_id / task_id rules (Airflow's KEY_REGEX and length limit). */

const ID_PATTERN = /^[A-Za-z0-9_.-]+$/;
const MAX_ID_LENGTH = 250;

/** Why `id` is not a valid dag_id/task_id, or null. */
export function idProblem(kind: 'dag_id' | 'task_id', id: unknown): string | null {
  if (typeof id !== 'string' || id === '') return `${kind} must be a non-empty string, got ${JSON.stringify(id) ?? String(id)}`;
  if (id.length > MAX_ID_LENGTH) return `invalid ${kind} '${id}': it is longer than ${MAX_ID_LENGTH} characters`;
  if (!ID_PATTERN.test(id)) {
    return `invalid ${kind} '${id}': it must be made of alphanumeric characters, dashes, dots and underscores exclusively`;
  }
  return null;
}

/**
 * Airflow's TaskFlow rule for reused functions: the second "extract" becomes
 * "extract__1", the next "extract__2", continuing after the highest suffix.
 */
export function uniqueTaskId(taskId: string, existing: Iterable<string>): string {
  const ids = new Set(existing);
  if (!ids.has(taskId)) return taskId;
  const prefix = taskId.replace(/__\d+$/, '');
  let highest = 0;
  for (const id of ids) {
    if (id.startsWith(`${prefix}__`)) {
      const suffix = id.slice(prefix.length + 2);
      if (/^\d+$/.test(suffix)) highest = Math.max(highest, Number(suffix));
    }
  }
  return `${taskId}__${highest + 1}`;
}
