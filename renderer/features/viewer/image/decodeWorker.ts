/**
 * The decode worker (built to dist/renderer/decode.worker.js): decompresses one frame (decode.ts,
 * with dcmjs-codecs and OpenJPEG as export and send do) and converts it for display (samples.ts), off
 * the page's thread. The codecs' WebAssembly is fetched from beside this script once, when the first
 * frame arrives.
 */
import openJpegFactory from '@cornerstonejs/codec-openjpeg/decodewasmjs';
import dcmjs from 'dcmjs-codecs';
import type { FrameCodecs, OpenJpeg } from '../../../../shared/dicom/frameCodec.ts';
import { decodeFrame } from './decode.ts';
import { inflateAtMost } from './inflate.ts';
import { convertFrame } from './samples.ts';
import type { DecodeReply, DecodeRequest } from './decodeWorkers.ts';

interface WorkerScope {
  location: { href: string };
  onmessage: ((e: MessageEvent<DecodeRequest>) => void) | null;
  postMessage(message: DecodeReply, transfer?: Transferable[]): void;
}
const scope = self as unknown as WorkerScope;

let ready: Promise<FrameCodecs> | null = null;

function loadCodecs(): Promise<FrameCodecs> {
  ready ??= (async () => {
    const res = await fetch(new URL('dcmjs-native-codecs.wasm', scope.location.href));
    if (!res.ok) throw new Error(`The image codecs could not be loaded (HTTP ${res.status})`);
    const bytes = await res.arrayBuffer();
    // dcmjs-codecs fetches its module through eval; handing it the bytes keeps eval out of the worker's CSP.
    (dcmjs.NativeCodecs as unknown as { _getWebAssemblyBytes(): Promise<ArrayBuffer> })._getWebAssemblyBytes = async () => bytes;
    await dcmjs.NativeCodecs.initializeAsync({ logCodecsInfo: false, logCodecsTrace: false });
    const openjpeg = (await openJpegFactory({ locateFile: (file: string) => new URL(file, scope.location.href).href, print: () => {}, printErr: () => {} })) as OpenJpeg;
    return { dcmjs, openjpeg, inflate: inflateAtMost };
  })();
  return ready;
}

scope.onmessage = async (e) => {
  const { id, transferSyntaxUID, encoded, layout, palette } = e.data;
  try {
    const decoded = decodeFrame(await loadCodecs(), transferSyntaxUID, encoded, layout);
    const frame = convertFrame(decoded.frame, decoded.layout, palette);
    scope.postMessage({ id, frame }, [frame.pixels.buffer]);
  } catch (err) {
    // The codecs name their C++ class and callback ("Jpeg2000Buffer::OpjMessageCallbackError::…"): keep the words.
    const message = (err instanceof Error ? err.message : String(err)).replace(/^(\w+::)+/, '').trim();
    scope.postMessage({ id, error: `The compressed data could not be decoded: ${message}` });
  }
};
