// The IPC registration point: sender check, validation, error mapping, event forwarding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDispatcher, createHandlers } from '../../../electron/api/handlers.ts';
import { forwardEvents, IPC_EVENT, IPC_INVOKE, registerIpc, type IpcMainLike } from '../../../electron/shell/ipc.ts';
import { createSenderCheck } from '../../../electron/shell/security.ts';
import { createServices } from '../../../electron/services.ts';
import { tempDir } from '../../helpers.ts';

function fakeIpcMain() {
  const handlers = new Map<string, (event: never, ...args: unknown[]) => Promise<unknown>>();
  const ipc: IpcMainLike = {
    handle: (channel, listener) => void handlers.set(channel, listener as never),
    removeHandler: (channel) => void handlers.delete(channel),
  };
  const invoke = (url: string, channel: unknown, request: unknown, parent: unknown = null) =>
    handlers.get(IPC_INVOKE)!({ senderFrame: { url, parent } } as never, channel, request);
  return { ipc, handlers, invoke };
}

test('requests are checked for sender, validated, dispatched; errors come back as { code, message }', async () => {
  const home = tempDir();
  const services = createServices(home.path);
  try {
    const page = 'file:///app/dist/renderer/index.html';
    const { ipc, handlers, invoke } = fakeIpcMain();
    const unregister = registerIpc(ipc, createDispatcher(createHandlers(services, { kind: 'electron', version: '1.0.0' })), createSenderCheck(page));

    assert.deepEqual(await invoke(page, 'library.counts', undefined), { ok: true, value: { patients: 0, studies: 0, series: 0, instances: 0, unfiled: 0 } });
    const info = (await invoke(page, 'app.info', undefined)) as { ok: true; value: { host: string; version: string } };
    assert.equal(info.value.host, 'electron');

    const forbidden = (await invoke('https://evil.example/', 'library.counts', undefined)) as { ok: false; error: { code: string } };
    assert.equal(forbidden.error.code, 'FORBIDDEN');
    const fromSubframe = (await invoke(page, 'library.counts', undefined, {})) as { ok: false; error: { code: string } };
    assert.equal(fromSubframe.error.code, 'FORBIDDEN');

    const unknown = (await invoke(page, 'fs.readFile', { path: '/etc/passwd' })) as { ok: false; error: { code: string } };
    assert.equal(unknown.error.code, 'UNKNOWN_CHANNEL');
    const bad = (await invoke(page, 'library.studies', { patientId: 'x' })) as { ok: false; error: { code: string; message: string } };
    assert.equal(bad.error.code, 'BAD_REQUEST');
    assert.match(bad.error.message, /patientId/);
    const extra = (await invoke(page, 'library.index', { path: '/tmp', evil: true })) as { ok: false; error: { code: string } };
    assert.equal(extra.error.code, 'BAD_REQUEST');
    const noDialog = (await invoke(page, 'app.chooseFolder', undefined)) as { ok: false; error: { code: string } };
    assert.equal(noDialog.error.code, 'BAD_REQUEST');

    unregister();
    assert.equal(handlers.size, 0);
  } finally {
    await services.close();
    home.cleanup();
  }
});

test('an index job started over IPC reports progress and its summary as events', async () => {
  const home = tempDir();
  const services = createServices(home.path);
  try {
    const sent: unknown[][] = [];
    const target = { isDestroyed: () => false, send: (...args: unknown[]) => void sent.push(args) };
    const dead = { isDestroyed: () => true, send: () => assert.fail('sent to a destroyed window') };
    forwardEvents(services.events, () => [target, dead]);
    const dispatch = createDispatcher(createHandlers(services, { kind: 'electron', version: '1' }));
    const started = (await dispatch('library.index', { path: '/usr/lib/python3/dist-packages/pydicom/data/test_files/dicomdirtests' })) as {
      ok: true;
      value: { jobId: string };
    };
    assert.equal(started.ok, true);
    const finished = await services.jobs.wait(started.value.jobId);
    assert.equal(finished?.status, 'done');
    const names = sent.map((a) => a[1]);
    assert.ok(sent.every((a) => a[0] === IPC_EVENT));
    assert.ok(names.includes('job.progress'), names.join());
    assert.ok(names.includes('job.finished'));
    assert.ok(names.includes('library.changed'));
    const summary = (sent.find((a) => a[1] === 'job.finished')![2] as { result: { instances: number } }).result;
    assert.ok(summary.instances > 0);
  } finally {
    await services.close();
    home.cleanup();
  }
});
