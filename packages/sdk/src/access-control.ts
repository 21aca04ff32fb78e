/**
 * A DAG's `access_control`, as Airflow takes it: what custom roles may do on
 * this DAG. Two spellings are accepted, with arrays or Sets of actions:
 *
 *   { team_a: ['can_read', 'can_edit'] }                          actions on the DAG (Airflow's older form)
 *   { team_a: { DAGs: ['can_read'], 'DAG Runs': ['can_create'] } }  actions per resource
 *
 * The serialized form is always the second one, each list sorted and without
 * repeats, so that the server can look a role's actions up in one place.
 */

/** The actions a DAG's access_control may grant, per resource. */
export const DAG_ACCESS_ACTIONS = {
  DAGs: ['can_read', 'can_edit', 'can_delete'],
  'DAG Runs': ['can_read', 'can_create', 'can_delete'],
} as const;

export type DagAccessResource = keyof typeof DAG_ACCESS_ACTIONS;
type Actions = readonly string[] | ReadonlySet<string>;

/** What DAG authors write. */
export type AccessControl = Record<string, Actions | Partial<Record<DagAccessResource, Actions>>>;

/** What the DAG processor stores: role → resource → actions. */
export type SerializedAccessControl = Record<string, Partial<Record<DagAccessResource, string[]>>>;

const RESOURCES = Object.keys(DAG_ACCESS_ACTIONS) as DagAccessResource[];

function isActions(value: unknown): value is Actions {
  return Array.isArray(value) || value instanceof Set;
}

/**
 * The normalized form of `value` (null when the DAG has none) and the
 * problems found, as short sentences for the DAG's definition error.
 */
export function normalizeAccessControl(value: unknown): { value: SerializedAccessControl | null; problems: string[] } {
  if (value === null || value === undefined) return { value: null, problems: [] };
  if (typeof value !== 'object' || isActions(value) || value instanceof Map) {
    return { value: null, problems: ["access_control must be an object of role names, e.g. { team_a: ['can_read'] }"] };
  }
  const problems: string[] = [];
  const normalized: SerializedAccessControl = {};
  for (const [role, grant] of Object.entries(value as Record<string, unknown>)) {
    if (role.trim() === '') {
      problems.push('access_control: a role name is empty');
      continue;
    }
    // the older form: a list of actions on the DAG itself
    const byResource: Record<string, unknown> = isActions(grant) ? { DAGs: grant } : (grant as Record<string, unknown>);
    if (typeof byResource !== 'object' || byResource === null || byResource instanceof Map) {
      problems.push(`access_control: role '${role}' must map to a list of actions or to { DAGs: [...], 'DAG Runs': [...] }`);
      continue;
    }
    const entry: Partial<Record<DagAccessResource, string[]>> = {};
    for (const [resource, actions] of Object.entries(byResource)) {
      if (!RESOURCES.includes(resource as DagAccessResource)) {
        problems.push(`access_control: role '${role}': unknown resource '${resource}' (expected ${RESOURCES.map((r) => `'${r}'`).join(' or ')})`);
        continue;
      }
      if (!isActions(actions)) {
        problems.push(`access_control: role '${role}': the actions on ${resource} must be an array or a Set`);
        continue;
      }
      const allowed: readonly string[] = DAG_ACCESS_ACTIONS[resource as DagAccessResource];
      const list = [...actions];
      const wrong = list.filter((action) => typeof action !== 'string' || !allowed.includes(action));
      for (const action of wrong) {
        problems.push(`access_control: role '${role}': unknown action ${JSON.stringify(action)} on ${resource} (allowed: ${allowed.join(', ')})`);
      }
      if (wrong.length === 0) entry[resource as DagAccessResource] = [...new Set(list)].sort();
    }
    normalized[role] = entry;
  }
  return { value: problems.length ? null : normalized, problems };
}
