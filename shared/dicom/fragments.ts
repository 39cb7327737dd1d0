/**
 * Which fragments of encapsulated Pixel Data make up each frame (PS3.5 A.4): by an offset table (the
 * Extended or the Basic Offset Table, offsets counted from the first fragment's item tag), else one
 * fragment a frame when the counts agree, else a frame starts where a codestream starts. Shared by
 * export and send (electron/dicom/pixels.ts) and the viewer (renderer/features/viewer/image/frames.ts).
 */
import type { CodecFamily } from './transferSyntax.ts';

/** For each frame, the indexes of its fragments (`fragments` without the Basic Offset Table item). */
export function frameFragments(fragments: readonly Uint8Array[], offsets: readonly number[] | null, frameCount: number, codec: CodecFamily): number[][] {
  if (!fragments.length) throw new Error('the encapsulated pixel data holds no fragments');
  const groups: number[][] = [];
  if (offsets?.length && frameCount > 1) {
    let pos = 0;
    let frame = -1;
    fragments.forEach((f, i) => {
      while (frame + 1 < offsets.length && offsets[frame + 1] <= pos) {
        frame++;
        groups.push([]);
      }
      if (frame < 0) throw new Error('the offset table does not start at the first fragment');
      groups[frame].push(i);
      // Each fragment is an item: tag and length (8 bytes), then its bytes.
      pos += 8 + f.length;
    });
  } else if (frameCount <= 1) {
    groups.push(fragments.map((_, i) => i));
  } else if (fragments.length === frameCount) {
    fragments.forEach((_, i) => groups.push([i]));
  } else {
    // No offset table and more fragments than frames: a frame starts where a codestream starts.
    const starts = (f: Uint8Array) =>
      codec === 'jpeg' || codec === 'jpegls' ? f[0] === 0xff && f[1] === 0xd8 : codec === 'j2k' || codec === 'htj2k' ? f[0] === 0xff && f[1] === 0x4f : true;
    fragments.forEach((f, i) => {
      if (!groups.length || starts(f)) groups.push([i]);
      else groups[groups.length - 1].push(i);
    });
  }
  if (groups.length < frameCount) throw new Error(`found ${groups.length} frames in the pixel data, the header says ${frameCount}`);
  return groups.slice(0, frameCount);
}

/** The bytes of one frame: its fragment, or its fragments joined. */
export function joinFragments(fragments: readonly Uint8Array[], group: readonly number[]): Uint8Array {
  if (group.length === 1) return fragments[group[0]];
  const out = new Uint8Array(group.reduce((n, i) => n + fragments[i].length, 0));
  let at = 0;
  for (const i of group) {
    out.set(fragments[i], at);
    at += fragments[i].length;
  }
  return out;
}

/** The offsets of a Basic Offset Table item (32-bit little endian), or null when it is empty. */
export function basicOffsets(bot: Uint8Array | undefined): number[] | null {
  if (!bot || bot.length < 4) return null;
  const view = new DataView(bot.buffer, bot.byteOffset, bot.byteLength);
  const out: number[] = [];
  for (let i = 0; i + 4 <= bot.length; i += 4) out.push(view.getUint32(i, true));
  return out;
}
