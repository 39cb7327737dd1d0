/**
 * The one IPC registration point: a single invoke channel, checked sender, validated request
 * (createDispatcher), and events forwarded from the EventHub to our windows.
 */
import type { IpcMainInvokeEvent } from 'electron';
import type { InvokeResult } from '../../shared/contract/index.ts';
import type { EventHub } from '../events.ts';
import { logger } from '../log.ts';
import type { SenderFrame } from './security.ts';

const log = logger('ipc');

/** The wire channels between preload and main (nothing else crosses). */
export const IPC_INVOKE = 'courier:invoke';
export const IPC_EVENT = 'courier:event';

/** The part of ipcMain this module uses (so tests can pass a fake). */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

/** Registers the invoke handler; messages from other senders get FORBIDDEN. Returns an unregister function. */
export function registerIpc(
  ipcMain: IpcMainLike,
  dispatch: (channel: unknown, request: unknown) => Promise<InvokeResult<unknown>>,
  isTrustedSender: (frame: SenderFrame | null | undefined) => boolean,
): () => void {
  ipcMain.handle(IPC_INVOKE, async (event, channel, request) => {
    if (!isTrustedSender(event.senderFrame as SenderFrame | null)) {
      log.warn(`refused ${String(channel).slice(0, 64)} from ${event.senderFrame?.url ?? 'an unknown frame'}`);
      return { ok: false, error: { code: 'FORBIDDEN', message: 'This page may not call Courier' } } satisfies InvokeResult<never>;
    }
    return dispatch(channel, request);
  });
  return () => ipcMain.removeHandler(IPC_INVOKE);
}

/** What events are sent to (a window's webContents). */
export interface EventTarget {
  isDestroyed(): boolean;
  send(channel: string, ...args: unknown[]): void;
}

/** Forwards every contract event to the targets alive at the time; returns the unsubscribe. */
export function forwardEvents(events: EventHub, targets: () => EventTarget[]): () => void {
  return events.onAny((name, payload) => {
    for (const t of targets()) if (!t.isDestroyed()) t.send(IPC_EVENT, name, payload);
  });
}
