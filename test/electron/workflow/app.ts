/**
 * The app's services over a fresh home, with an in-process `courier pacs` whose reports come on
 * the N-ACTION's association; both stopped (and the folder removed) after the test.
 */
import { join } from 'node:path';
import { tempDir } from '../../helpers.ts';
import { createServices } from '../../../electron/services.ts';
import { startPacs } from '../../../electron/pacs/pacs.ts';
import type { SendDestination } from '../../../electron/store/send.ts';

/** Services, the PACS, and that PACS as a send destination; `fail` refuses commitment of some UIDs (UID → Failure Reason). */
export async function appWithPacs(t: { after(fn: () => unknown): void }, fail = new Map<string, number>()) {
  const dir = tempDir();
  const services = createServices(join(dir.path, 'home'));
  const pacs = await startPacs({ port: 0, aeTitle: 'PACS', dir: join(dir.path, 'pacs'), delivery: 'same', delayMs: 0, fail });
  t.after(async () => {
    await pacs.close();
    await services.close();
    dir.cleanup();
  });
  const dest: SendDestination = { nodeId: null, aeTitle: 'PACS', host: '127.0.0.1', port: pacs.port, maxAssociations: 1 };
  return { dir: dir.path, services, pacs, dest };
}
