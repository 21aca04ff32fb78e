/**
 * Clear / Mark success / Mark failed, with Airflow's upstream, downstream,
 * past and future options. The dialog first asks the server (dry run) which
 * task instances the action would touch, lists them, and only then applies it.
 */
import { useState } from 'react';
import { api, enc } from '../api.ts';
import { ConfirmAffected, type AffectedTi } from './ConfirmAffected.tsx';

type Action = 'clear' | 'success' | 'failed';
const TITLES: Record<Action, string> = { clear: 'Clear', success: 'Mark success', failed: 'Mark failed' };

function ActionDialog({ action, dagId, runId, taskId, mapIndex, onClose, onDone }: { action: Action; dagId: string; runId: string; taskId: string; mapIndex: number | null; onClose(): void; onDone(): void }) {
  const [opts, setOpts] = useState({ include_upstream: false, include_downstream: action === 'clear', include_past: false, include_future: false, only_failed: false });
  const request = (dryRun: boolean) => {
    const include = { include_upstream: opts.include_upstream, include_downstream: opts.include_downstream, include_past: opts.include_past, include_future: opts.include_future };
    if (action === 'clear') {
      return api<{ task_instances: AffectedTi[] }>('POST', `/api/v2/dags/${enc(dagId)}/clearTaskInstances`, { dry_run: dryRun, task_ids: mapIndex !== null && mapIndex >= 0 ? [[taskId, mapIndex]] : [taskId], dag_run_id: runId, only_failed: opts.only_failed, ...include });
    }
    const url = `/api/v2/dags/${enc(dagId)}/dagRuns/${enc(runId)}/taskInstances/${enc(taskId)}${dryRun ? '/dry_run' : ''}${mapIndex !== null && mapIndex >= 0 ? `?map_index=${mapIndex}` : ''}`;
    return api<{ task_instances: AffectedTi[] }>('PATCH', url, { new_state: action, ...include });
  };
  const check = (key: keyof typeof opts, label: string) => (
    <label className="check">
      <input type="checkbox" checked={opts[key]} onChange={(e) => setOpts({ ...opts, [key]: e.target.checked })} /> {label}
    </label>
  );
  return (
    <ConfirmAffected
      title={`${TITLES[action]}: ${taskId}`}
      preview={() => request(true).then((r) => r.task_instances)}
      previewKey={JSON.stringify(opts)}
      apply={() => request(false)}
      verb={action === 'clear' ? 'cleared' : `marked ${action}`}
      danger={action === 'failed'}
      onClose={onClose}
      onDone={onDone}
    >
      <div className="action-options" role="group" aria-label="Include">
        {check('include_past', 'Past')}
        {check('include_future', 'Future')}
        {check('include_upstream', 'Upstream')}
        {check('include_downstream', 'Downstream')}
        {action === 'clear' && check('only_failed', 'Only failed')}
      </div>
    </ConfirmAffected>
  );
}

export function TaskActions(props: { dagId: string; runId: string; taskId: string; mapIndex: number | null; onDone(): void }) {
  const [action, setAction] = useState<Action | null>(null);
  return (
    <div className="task-actions">
      {(['clear', 'success', 'failed'] as Action[]).map((a) => (
        <button key={a} type="button" className={a === 'failed' ? 'danger-outline' : ''} onClick={() => setAction(a)}>
          {TITLES[a]}
        </button>
      ))}
      {action && (
        <ActionDialog
          action={action}
          {...props}
          onClose={() => setAction(null)}
          onDone={() => {
            setAction(null);
            props.onDone();
          }}
        />
      )}
    </div>
  );
}
