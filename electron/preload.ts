/**
 * The preload: exposes `window.courier` (the CourierApi of shared/contract) and nothing else.
 * Runs sandboxed; bundled to dist/electron/preload.cjs.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import type { CourierApi, EventName, InvokeResult } from '../shared/contract/index.ts';

// Kept in step with electron/shell/ipc.ts (the preload cannot import main-process modules).
const IPC_INVOKE = 'courier:invoke';
const IPC_EVENT = 'courier:event';

const api: CourierApi = {
  async invoke(channel, request) {
    const result = (await ipcRenderer.invoke(IPC_INVOKE, channel, request)) as InvokeResult<never>;
    if (result.ok) return result.value;
    // Only an Error's message crosses the context bridge, so the code travels in front of it.
    throw new Error(`[${result.error.code}] ${result.error.message}`);
  },
  on(event, listener) {
    const handler = (_e: IpcRendererEvent, name: EventName, payload: unknown) => {
      if (name === event) (listener as (p: unknown) => void)(payload);
    };
    ipcRenderer.on(IPC_EVENT, handler);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT, handler);
    };
  },
  instanceUrl: (instanceId) => `courier://app/instances/${Math.trunc(instanceId)}`,
  pathForFile: (file) => webUtils.getPathForFile(file),
};

contextBridge.exposeInMainWorld('courier', api);
