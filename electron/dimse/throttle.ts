/**
 * Reports that a flood must not turn into a flood of log lines: the first few of a window are
 * passed on one by one, the rest become one line at the end of the window that says how many.
 */

/** A throttled reporter: call it per event; `stop()` says what is left and ends the window. */
export interface Throttled<T> {
  (event: T): void;
  stop(): void;
}

/** Passes at most `burst` events per `windowMs` to `report`; `summary(n)` becomes the event for the `n` left out. */
export function throttled<T>(report: (event: T) => void, summary: (left: number, windowMs: number) => T, burst = 20, windowMs = 10_000): Throttled<T> {
  let passed = 0;
  let left = 0;
  let window: NodeJS.Timeout | null = null;
  const endWindow = () => {
    window = null;
    if (left) report(summary(left, windowMs));
    passed = left = 0;
  };
  const reporter = (event: T) => {
    window ??= setTimeout(endWindow, windowMs).unref();
    if (passed++ < burst) report(event);
    else left++;
  };
  return Object.assign(reporter, {
    stop() {
      if (window) clearTimeout(window);
      endWindow();
    },
  });
}
