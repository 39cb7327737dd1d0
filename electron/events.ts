/**
 * The main process's event hub: services emit contract events; the shell and the browser host
 * forward them to the renderer. `on` returns its unsubscribe function.
 */
import type { EventName, Events } from '../shared/contract/index.ts';
import { logger } from './log.ts';

type Listener<E extends EventName> = (payload: Events[E]) => void;

/** A typed publish/subscribe hub for contract events. Listener failures never reach the emitter. */
export class EventHub {
  private readonly listeners = new Map<EventName, Set<Listener<never>>>();
  private readonly any = new Set<(event: EventName, payload: unknown) => void>();

  /** Subscribes to one event. */
  on<E extends EventName>(event: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  /** Subscribes to every event (for forwarding across a process boundary). */
  onAny(listener: (event: EventName, payload: unknown) => void): () => void {
    this.any.add(listener);
    return () => this.any.delete(listener);
  }

  /** Publishes an event to its listeners. */
  emit<E extends EventName>(event: E, payload: Events[E]): void {
    for (const l of this.listeners.get(event) ?? []) safeCall(() => (l as Listener<E>)(payload));
    for (const l of this.any) safeCall(() => l(event, payload));
  }
}

function safeCall(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    logger('main').error('event listener failed:', err);
  }
}
