/**
 * The confirmation of Clear / Mark success / Mark failed: asks the server
 * which task instances the action would touch (its dry run), lists them, and
 * applies the action only on Confirm.
 */
import { useEffect, useState, type ReactNode } from 'react';
import { ErrorBox, Loading, Modal, StateBadge } from './common.tsx';

export interface AffectedTi {
  task_id: string;
  dag_run_id?: string;
  map_index: number;
  state: string | null;
}

export function ConfirmAffected(props: {
  title: string;
  /** options that change what is affected (checkboxes) */
  children?: ReactNode;
  /** the dry run; asked again whenever previewKey changes */
  preview(): Promise<AffectedTi[]>;
  previewKey: string;
  apply(): Promise<unknown>;
  /** "cleared", "marked failed" … */
  verb: string;
  danger?: boolean;
  onClose(): void;
  onDone(): void;
}) {
  const { preview, previewKey } = props;
  const [affected, setAffected] = useState<AffectedTi[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // preview is a new closure on every render: previewKey says when what it asks changes
  useEffect(() => {
    let stale = false;
    setAffected(null);
    setError(null);
    preview()
      .then((list) => !stale && setAffected(list))
      .catch((e: Error) => !stale && setError(e.message));
    return () => {
      stale = true;
    };
  }, [previewKey]);
  const confirm = async () => {
    setBusy(true);
    try {
      await props.apply();
      props.onDone();
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };
  return (
    <Modal title={props.title} onClose={props.onClose}>
      {props.children}
      <ErrorBox error={error} />
      {!affected && !error && <Loading />}
      {affected && (
        <>
          <p>{affected.length ? `These ${affected.length} task instance${affected.length > 1 ? 's' : ''} will be ${props.verb}:` : 'No task instance would change.'}</p>
          <ul className="affected" aria-label="Affected task instances">
            {affected.map((t) => (
              <li key={`${t.dag_run_id}/${t.task_id}/${t.map_index}`}>
                <code>
                  {t.task_id}
                  {t.map_index >= 0 ? `[${t.map_index}]` : ''}
                </code>
                {t.dag_run_id ? ` · ${t.dag_run_id}` : ''} · <StateBadge state={t.state} />
              </li>
            ))}
          </ul>
        </>
      )}
      <div className="dialog-actions">
        <button type="button" onClick={props.onClose}>
          Cancel
        </button>
        <button type="button" className={props.danger ? 'danger' : 'primary'} disabled={busy || !affected?.length} onClick={confirm}>
          Confirm
        </button>
      </div>
    </Modal>
  );
}
