/**
 * Serving an instance's file bytes to the renderer by id (the custom protocol in Electron, HTTP in
 * the browser host). The renderer names an instance id, never a path.
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { fsReason, openRegularFile } from '../dicom/files.ts';
import { CourierError } from '../../shared/errors.ts';
import type { Services } from '../services.ts';

/** The file of an instance, opened for reading. */
export interface InstanceBytes {
  size: number;
  stream: ReadStream;
}

/** Parses the instance id out of a URL path ending in `/instances/<id>`; null when it does not match. */
export function instanceIdFromPath(pathname: string): number | null {
  const m = /\/instances\/(\d{1,12})$/.exec(pathname);
  return m ? Number(m[1]) : null;
}

/** Opens the file of instance `instanceId`; NOT_FOUND when there is none or it vanished. */
export function openInstanceBytes(services: Services, instanceId: number): InstanceBytes {
  const file = services.library.fileOfInstance(instanceId);
  if (!file) throw new CourierError('NOT_FOUND', `No instance ${instanceId} in the library`);
  try {
    // Opened here, checked regular (a FIFO swapped in would hold the stream open forever).
    const opened = openRegularFile(file.path);
    if (!opened) throw new Error('it is not a regular file any more');
    return { size: opened.stats.size, stream: createReadStream('', { fd: opened.fd }) };
  } catch (err) {
    throw new CourierError('NOT_FOUND', `The file of instance ${instanceId} is no longer readable: ${fsReason(err)}`);
  }
}
