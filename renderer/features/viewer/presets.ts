/**
 * Window presets (width/center in Hounsfield units) and the stack order helpers the viewport uses.
 */

/** A window/level preset. */
export interface WindowPreset {
  id: string;
  label: string;
  windowWidth: number;
  windowCenter: number;
}

/** The usual CT presets. */
export const CT_PRESETS: WindowPreset[] = [
  { id: 'brain', label: 'CT brain', windowWidth: 80, windowCenter: 40 },
  { id: 'lung', label: 'CT lung', windowWidth: 1500, windowCenter: -600 },
  { id: 'bone', label: 'CT bone', windowWidth: 2000, windowCenter: 300 },
  { id: 'abdomen', label: 'CT abdomen', windowWidth: 400, windowCenter: 50 },
];

/** The index not yet taken nearest to `from` (ahead before behind), or -1 when all are taken. */
export function nearestUntaken(taken: ArrayLike<number>, from: number): number {
  const n = taken.length;
  for (let d = 0; d < n; d++) {
    if (from + d < n && !taken[from + d]) return from + d;
    if (d > 0 && from - d >= 0 && !taken[from - d]) return from - d;
    if (from + d >= n && from - d < 0) break;
  }
  return -1;
}

/** The index after moving `delta` through a stack of `count`, clamped (or wrapped for cine). */
export function stepIndex(index: number, delta: number, count: number, wrap = false): number {
  if (count <= 0) return 0;
  const next = index + delta;
  if (wrap) return ((next % count) + count) % count;
  return Math.max(0, Math.min(count - 1, next));
}
