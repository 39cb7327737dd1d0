/**
 * A progress bar in coloured parts (stored or committed green, failed red, pending grey …), so a
 * job that failed never looks like a full blue bar of one that finished.
 */

/** One part of the bar. */
export interface BarPart {
  /** How many items it stands for. */
  value: number;
  /** ok | warn | fail | busy | wait: its colour (styles.css `.stack-bar .part-*`). */
  tone: 'ok' | 'warn' | 'fail' | 'busy' | 'wait';
  label: string;
}

/** The bar; `total` is the whole (parts may not fill it while work is left). */
export function StackBar({ parts, total, label }: { parts: BarPart[]; total: number; label: string }) {
  const text = parts.filter((p) => p.value > 0).map((p) => `${p.value} ${p.label}`).join(', ') || 'nothing yet';
  return (
    <div className="stack-bar" role="img" aria-label={`${label}: ${text} of ${total}`} title={`${text} of ${total}`}>
      {parts.map((p) =>
        p.value > 0 && total > 0 ? <span key={p.label} className={`part part-${p.tone}`} style={{ width: `${(100 * p.value) / total}%` }} /> : null,
      )}
    </div>
  );
}
