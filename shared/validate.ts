/**
 * Tiny runtime validators for the IPC contract. Each validator returns the value typed, or throws
 * a ValidationError naming the offending field; `Infer<V>` gives the static type.
 * No Node or DOM imports: both processes use this file.
 */

/** Thrown when a request does not match its channel's shape. */
export class ValidationError extends Error {
  override name = 'ValidationError';
}

/** A validator: takes unknown input, returns it typed or throws ValidationError. */
export type Validator<T> = (value: unknown, path?: string) => T;
/** The static type a validator produces. */
export type Infer<V> = V extends Validator<infer T> ? T : never;

const fail = (path: string, what: string): never => {
  throw new ValidationError(`${path || 'value'} ${what}`);
};

/** A string, optionally bounded in length and matched against a pattern. */
export const str =
  (opts: { min?: number; max?: number; pattern?: RegExp; label?: string } = {}): Validator<string> =>
  (v, path = '') => {
    if (typeof v !== 'string') return fail(path, 'must be a string');
    if (opts.min !== undefined && v.length < opts.min) return fail(path, `must have at least ${opts.min} characters`);
    if (opts.max !== undefined && v.length > opts.max) return fail(path, `must have at most ${opts.max} characters`);
    if (opts.pattern && !opts.pattern.test(v)) return fail(path, `is not a valid ${opts.label ?? 'value'}`);
    return v;
  };

/** An integer within [min, max]. */
export const int =
  (min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): Validator<number> =>
  (v, path = '') => {
    if (typeof v !== 'number' || !Number.isInteger(v)) return fail(path, 'must be an integer');
    if (v < min || v > max) return fail(path, `must be between ${min} and ${max}`);
    return v;
  };

/** A boolean. */
export const bool: Validator<boolean> = (v, path = '') => (typeof v === 'boolean' ? v : fail(path, 'must be true or false'));

/** One of the given string literals. */
export const oneOf =
  <const T extends readonly string[]>(...values: T): Validator<T[number]> =>
  (v, path = '') =>
    typeof v === 'string' && (values as readonly string[]).includes(v) ? (v as T[number]) : fail(path, `must be one of ${values.join(', ')}`);

/** The validator's value, or undefined when absent. */
export const optional =
  <T>(inner: Validator<T>): Validator<T | undefined> =>
  (v, path = '') =>
    v === undefined || v === null ? undefined : inner(v, path);

/** An array whose items all pass `item`, with at most `max` entries. */
export const arrayOf =
  <T>(item: Validator<T>, max = 1_000_000): Validator<T[]> =>
  (v, path = '') => {
    if (!Array.isArray(v)) return fail(path, 'must be a list');
    if (v.length > max) return fail(path, `must have at most ${max} entries`);
    return v.map((x, i) => item(x, `${path}[${i}]`));
  };

type Shape = Record<string, Validator<unknown>>;
type ObjectOf<S extends Shape> = { [K in keyof S as undefined extends ReturnType<S[K]> ? never : K]: ReturnType<S[K]> } & {
  [K in keyof S as undefined extends ReturnType<S[K]> ? K : never]?: ReturnType<S[K]>;
};

/** A plain object with exactly these fields (unknown fields are rejected). */
export const object =
  <S extends Shape>(shape: S): Validator<ObjectOf<S>> =>
  (v, path = '') => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(path, 'must be an object');
    const input = v as Record<string, unknown>;
    for (const key of Object.keys(input)) if (!(key in shape)) fail(path ? `${path}.${key}` : key, 'is not expected');
    const out: Record<string, unknown> = {};
    for (const [key, check] of Object.entries(shape)) {
      const value = check(input[key], path ? `${path}.${key}` : key);
      if (value !== undefined) out[key] = value;
    }
    return out as ObjectOf<S>;
  };

/** No payload: accepts undefined, null or {}. */
export const none: Validator<void> = (v, path = '') => {
  if (v === undefined || v === null) return;
  if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0) return;
  return fail(path, 'must be empty');
};
