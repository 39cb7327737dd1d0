/**
 * The decode worker (built to dist/renderer/decode.worker.js): decompresses one frame with
 * dcmjs-codecs (decode.ts) and converts it for display (samples.ts), off the page's thread. The
 * codecs' WebAssembly is fetched from beside this script once, when the first frame arrives.
 */
import codecs from 'dcmjs-codecs';
import { inflateRaw } from 'pako';
import { decodeFrame } from './decode.ts';
import { convertFrame } from './samples.ts';
import type { DecodeReply, DecodeRequest } from './decodeWorkers.ts';

interface WorkerScope {
  location: { href: string };
  onmessage: ((e: MessageEvent<DecodeRequest>) => void) | null;
  postMessage(message: DecodeReply, transfer?: Transferable[]): void;
}
const scope = self as unknown as WorkerScope;

let ready: Promise<void> | null = null;

function loadCodecs(): Promise<void> {
  ready ??= (async () => {
    const res = await fetch(new URL('dcmjs-native-codecs.wasm', scope.location.href));
    if (!res.ok) throw new Error(`The image codecs could not be loaded (HTTP ${res.status})`);
    const bytes = await res.arrayBuffer();
    // dcmjs-codecs fetches its module through eval; handing it the bytes keeps eval out of the worker's CSP.
    (codecs.NativeCodecs as unknown as { _getWebAssemblyBytes(): Promise<ArrayBuffer> })._getWebAssemblyBytes = async () => bytes;
    await codecs.NativeCodecs.initializeAsync({ logCodecsInfo: false, logCodecsTrace: false });
  })();
  return ready;
}

scope.onmessage = async (e) => {
  const { id, codec, encoded, layout, palette } = e.data;
  try {
    await loadCodecs();
    const decoded = decodeFrame(codecs, codec, encoded, layout, inflateRaw);
    const frame = convertFrame(decoded.frame, decoded.layout, palette);
    scope.postMessage({ id, frame }, [frame.pixels.buffer]);
  } catch (err) {
    // The codecs name their C++ class and callback ("Jpeg2000Buffer::OpjMessageCallbackError::…"): keep the words.
    const message = (err instanceof Error ? err.message : String(err)).replace(/^(\w+::)+/, '').trim();
    scope.postMessage({ id, error: `The compressed data could not be decoded: ${message}` });
  }
};
