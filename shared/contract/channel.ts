/**
 * How a channel is declared: its request validator, and its response type (a phantom field).
 */
import type { Validator } from '../validate.ts';

/** A channel: request checked at runtime, response typed statically. */
export interface Channel<Req, Res> {
  request: Validator<Req>;
  /** Never read: carries the response type. */
  response?: Res;
}

/** Declares a channel whose request passes `request` and whose response is `Res`. */
export function channel<Res>() {
  return <Req>(request: Validator<Req>): Channel<Req, Res> => ({ request });
}
