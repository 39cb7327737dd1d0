/**
 * Error codes that cross the IPC boundary as `{ code, message }` — never stack traces.
 */

/** Every code an IPC call can fail with. */
export const ErrorCodes = [
  'BAD_REQUEST', // the request did not match its channel's validator
  'FORBIDDEN', // the sender is not our renderer
  'NOT_FOUND', // the thing named does not exist (any more)
  'UNKNOWN_CHANNEL',
  'IO', // a file or folder could not be read or written
  'DICOM', // a DICOM file or message was malformed
  'NETWORK', // a peer could not be reached, rejected us or vanished
  'CANCELLED',
  'CONFLICT', // e.g. an export target that is not empty
  'INTERNAL', // a bug: the message says what failed, the log has the rest
] as const;

/** One of the error codes. */
export type ErrorCode = (typeof ErrorCodes)[number];

/** What a failed call returns to the renderer. */
export interface CourierErrorShape {
  code: ErrorCode;
  message: string;
}

/** An error with a code, thrown by services and mapped 1:1 to `{ code, message }` at the boundary. */
export class CourierError extends Error {
  override name = 'CourierError';
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Maps anything thrown to the shape that crosses the boundary. */
export function toErrorShape(err: unknown): CourierErrorShape {
  if (err instanceof CourierError) return { code: err.code, message: err.message };
  if (err instanceof Error && err.name === 'ValidationError') return { code: 'BAD_REQUEST', message: err.message };
  if (err instanceof Error && 'code' in err && typeof err.code === 'string' && /^E[A-Z]+$/.test(err.code)) {
    return { code: 'IO', message: err.message };
  }
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}
