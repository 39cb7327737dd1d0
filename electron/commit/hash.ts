/**
 * SHA-256 of files, hex: of a path, of an open file, and of the bytes a file was sent as (while it
 * still matches the stamp taken then, electron/fileStamp.ts).
 */
import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { stampProblem } from '../fileStamp.ts';

/** SHA-256 of a file's content, hex. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** SHA-256 of an open file's content, hex (the descriptor stays open). */
export async function sha256Of(fh: FileHandle): Promise<string> {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  for (let pos = 0; ; ) {
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    if (!bytesRead) break;
    hash.update(buf.subarray(0, bytesRead));
    pos += bytesRead;
  }
  return hash.digest('hex');
}

/** SHA-256 of the file at `path` while it still matches `stamp` before and after the read (the bytes sent), else null. */
export async function hashOfSent(path: string, stamp: string): Promise<string | null> {
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch {
    return null;
  }
  try {
    if (stampProblem(stamp, await fh.stat())) return null;
    const sha256 = await sha256Of(fh);
    return stampProblem(stamp, await fh.stat()) ? null : sha256;
  } catch {
    return null;
  } finally {
    await fh.close();
  }
}
