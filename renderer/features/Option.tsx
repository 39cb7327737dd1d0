/** A checkbox with its label and, below it, a hint in small type (the Send dialog's and Settings' options). */
import type { ReactNode } from 'react';

export function Option(props: { label: ReactNode; hint?: ReactNode; checked: boolean; disabled?: boolean; ariaLabel?: string; onChange: (checked: boolean) => void }) {
  return (
    <label className="option">
      <input type="checkbox" aria-label={props.ariaLabel} checked={props.checked} disabled={props.disabled} onChange={(e) => props.onChange(e.target.checked)} />
      <span>
        {props.label}
        {props.hint ? <small>{props.hint}</small> : null}
      </span>
    </label>
  );
}
