/**
 * The IPC contract: every channel with its request validator and response type, and every
 * event the main process sends. Main, preload, browser host and renderer are all typed from here.
 */
import type { Channel } from './channel.ts';
import { appChannels } from './app.ts';
import { exportChannels } from './export.ts';
import { jobChannels, type JobFinished, type JobProgress } from './jobs.ts';
import { libraryChannels } from './library.ts';
import { viewerChannels } from './viewer.ts';
import { commitChannels, type CommitChanged } from './commit.ts';
import { nodeChannels } from './nodes.ts';
import { sendChannels, type SendChanged, type SendProgress } from './send.ts';

export type * from './app.ts';
export type * from './export.ts';
export type * from './jobs.ts';
export type * from './library.ts';
export type * from './viewer.ts';
export type * from './commit.ts';
export type * from './nodes.ts';
export type * from './send.ts';

/** All channels, by name. */
export const channels = {
  ...appChannels,
  ...exportChannels,
  ...jobChannels,
  ...libraryChannels,
  ...viewerChannels,
  ...commitChannels,
  ...nodeChannels,
  ...sendChannels,
} as const;

/** A channel name. */
export type ChannelName = keyof typeof channels;
/** The request type of a channel. */
export type RequestOf<C extends ChannelName> = (typeof channels)[C] extends Channel<infer Req, unknown> ? Req : never;
/** The response type of a channel. */
export type ResponseOf<C extends ChannelName> = (typeof channels)[C] extends Channel<unknown, infer Res> ? Res : never;

/** Events from main to renderer, by name, with their payloads. */
export interface Events {
  'job.progress': JobProgress;
  'job.finished': JobFinished;
  /** The library's content changed (after an index, a delete …). */
  'library.changed': Record<string, never>;
  /** A storage commitment transaction changed (report, timeout, deletion). */
  'commit.changed': CommitChanged;
  /** Progress of a running send job. */
  'send.progress': SendProgress;
  /** A send job or its instances changed state. */
  'send.changed': SendChanged;
}
/** An event name. */
export type EventName = keyof Events;

/** True when `name` is a declared channel. */
export function isChannelName(name: unknown): name is ChannelName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(channels, name);
}

/** The API the preload exposes as window.courier and the WebSocket transport implements. */
export interface CourierApi {
  invoke<C extends ChannelName>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>>;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void;
  /** URL at which an instance's file bytes are served (custom protocol or host HTTP). */
  instanceUrl(instanceId: number): string;
  /** Electron only: the path of a file or folder dropped on the window. */
  pathForFile?(file: File): string;
}

/** How a failed invoke is encoded on the wire. */
export type InvokeResult<T> = { ok: true; value: T } | { ok: false; error: import('../errors.ts').CourierErrorShape };
