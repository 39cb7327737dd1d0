/**
 * Fetching an instance's file for the viewer (from courier:// in Electron, or the browser host):
 * its bytes, or an Error in the server's own words when it cannot serve them.
 */

/** The bytes at `url`; when the server refuses, an Error saying why as the server put it ("… is no longer
 * readable: it is a symbolic link that loops"), or the HTTP status when it said nothing usable. */
export async function fetchBytes(url: string, signal: AbortSignal): Promise<Uint8Array> {
  const res = await fetch(url, { signal, credentials: 'same-origin' });
  if (!res.ok) {
    const why = (await res.text().catch(() => '')).trim();
    throw new Error(why && why.length <= 1000 ? why : `The image could not be fetched (HTTP ${res.status} ${res.statusText})`.trim());
  }
  return new Uint8Array(await res.arrayBuffer());
}
