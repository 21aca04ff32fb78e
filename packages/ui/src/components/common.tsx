/** Small shared pieces: state badges, error boxes, modal dialogs, toggles. */
import { useEffect, useRef, type ReactNode } from 'react';
import { stateColor } from '../states.ts';

export function StateBadge({ state }: { state: string | null | undefined }) {
  const s = state ?? 'none';
  return (
    <span className="state-badge" data-state={s}>
      <span className="state-dot" style={{ background: stateColor(s) }} aria-hidden="true" />
      {s}
    </span>
  );
}

export function ErrorBox({ error }: { error: string | null | undefined }) {
  if (!error) return null;
  return (
    <div className="error-box" role="alert">
      {error}
    </div>
  );
}

/** A modal <dialog>: Escape and the close button close it, focus stays inside. */
export function Modal({ title, onClose, children, wide = false }: { title: string; onClose(): void; children: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return (
    <dialog ref={ref} className={wide ? 'modal wide' : 'modal'} aria-label={title} onCancel={(e) => (e.preventDefault(), onClose())}>
      <header className="modal-head">
        <h2>{title}</h2>
        <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </header>
      <div className="modal-body">{children}</div>
    </dialog>
  );
}

/** An on/off switch (a checkbox with role="switch", so keyboard and screen readers handle it). */
export function Switch({ checked, onChange, label, disabled }: { checked: boolean; onChange(v: boolean): void; label: string; disabled?: boolean }) {
  return (
    <label className="switch" title={label}>
      <input type="checkbox" role="switch" aria-label={label} checked={checked} disabled={disabled} onChange={(e) => onChange(e.target.checked)} />
      <span className="switch-track" aria-hidden="true" />
    </label>
  );
}

export function Loading() {
  return <div className="muted loading">Loading…</div>;
}

/** JSON shown readably */
export function Json({ value }: { value: unknown }) {
  return <pre className="json">{JSON.stringify(value, null, 2)}</pre>;
}
