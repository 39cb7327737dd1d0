/**
 * Only the latest answer counts: panels reload rows on every event, and an answer asked earlier
 * can arrive after a later one with older states (events and answers travel apart in the browser
 * host). Each caller gets its own counter.
 */

/** A function that runs `ask` and hands its answer to `apply` (or its error to `fail`) only if no later call was made meanwhile. */
export function latestOnly(): <T>(ask: Promise<T>, apply: (value: T) => void, fail: (err: unknown) => void) => void {
  let asked = 0;
  return (ask, apply, fail) => {
    const n = ++asked;
    ask.then(
      (value) => n === asked && apply(value),
      (err) => n === asked && fail(err),
    );
  };
}
