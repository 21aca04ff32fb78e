/**
 * Clear / Mark success / Mark failed, with Airflow's upstream, downstream,
 * past and future options. The dialog first asks the server (dry run) which
 * task instances the action would touch, lists them, and only then applies it.
 */
import { useEffect, useState } from 'react';
import { api, enc } from '../api.ts';
import { ErrorBox, Loading, Modal, StateBadge } from './common.tsx';

type Action = 'clear' | 'success' | 'failed';
const TITLES: Record<Action, string> = { clear: 'Clear', success: 'Mark success', failed: 'Mark failed' };

interface AffectedTi {
  task_id: string;
  dag_run_id: string;
  map_index: number;
  state: string | null;
}

function ActionDialog({ action, dagId, runId, taskId, mapIndex, onClose, onDone }: { action: Action; dagId: string; runId: string; taskId: string; mapIndex: number | null; onClose(): void; onDone(): void }) {
  const [opts, setOpts] = useState({ include_upstream: false, include_downstream: action === 'clear', include_past: false, include_future: false, only_failed: false });
  const [affected, setAffected] = useState<AffectedTi[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const request = (dryRun: boolean) => {
    const include = { include_upstream: opts.include_upstream, include_downstream: opts.include_downstream, include_past: opts.include_past, include_future: opts.include_future };
    if (action === 'clear') {
      return api<{ task_instances: AffectedTi[] }>('POST', `/api/v2/dags/${enc(dagId)}/clearTaskInstances`, { dry_run: dryRun, task_ids: mapIndex !== null && mapIndex >= 0 ? [[taskId, mapIndex]] : [taskId], dag_run_id: runId, only_failed: opts.only_failed, ...include });
    }
    const url = `/api/v2/dags/${enc(dagId)}/dagRuns/${enc(runId)}/taskInstances/${enc(taskId)}${dryRun ? '/dry_run' : ''}${mapIndex !== null && mapIndex >= 0 ? `?map_index=${mapIndex}` : ''}`;
    return api<{ task_instances: AffectedTi[] }>('PATCH', url, { new_state: action, ...include });
  };

  useEffect(() => {
    let stale = false;
    setAffected(null);
    setError(null);
    request(true)
      .then((r) => !stale && setAffected(r.task_instances))
      .catch((e: Error) => !stale && setError(e.message));
    return () => {
      stale = true;
    };
  }, [opts]);

  const confirm = async () => {
    setBusy(true);
    try {
      await request(false);
      onDone();
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };

  const check = (key: keyof typeof opts, label: string) => (
    <label className="check">
      <input type="checkbox" checked={opts[key]} onChange={(e) => setOpts({ ...opts, [key]: e.target.checked })} /> {label}
    </label>
  );
  return (
    <Modal title={`${TITLES[action]}: ${taskId}`} onClose={onClose}>
      <div className="action-options" role="group" aria-label="Include">
        {check('include_past', 'Past')}
        {check('include_future', 'Future')}
        {check('include_upstream', 'Upstream')}
        {check('include_downstream', 'Downstream')}
        {action === 'clear' && check('only_failed', 'Only failed')}
      </div>
      <ErrorBox error={error} />
      {!affected && !error && <Loading />}
      {affected && (
        <>
          <p>
            {affected.length ? `These ${affected.length} task instance${affected.length > 1 ? 's' : ''} will be ${action === 'clear' ? 'cleared' : `marked ${action}`}:` : 'No task instance would change.'}
          </p>
          <ul className="affected" aria-label="Affected task instances">
            {affected.map((t) => (
              <li key={`${t.dag_run_id}/${t.task_id}/${t.map_index}`}>
                <code>{t.task_id}{t.map_index >= 0 ? `[${t.map_index}]` : ''}</code> · {t.dag_run_id} · <StateBadge state={t.state} />
              </li>
            ))}
          </ul>
        </>
      )}
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className={action === 'failed' ? 'danger' : 'primary'} disabled={busy || !affected?.length} onClick={confirm}>
          Confirm
        </button>
      </div>
    </Modal>
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
