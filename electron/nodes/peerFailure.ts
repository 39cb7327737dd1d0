/**
 * Network failures in words for people ("could not connect to PACS at 127.0.0.1:11112 — connection
 * refused"), not system error codes (ECONNREFUSED): for a send job that stored nothing, each of its
 * instances, and a storage commitment request that could not go out.
 */

/** The node a failure is about. */
export interface Peer {
  aeTitle: string;
  host: string;
  port: number;
}

const CONNECT_FAILURES: [RegExp, string][] = [
  [/ECONNREFUSED/, 'connection refused (is the PACS running, and listening on that port?)'],
  [/Timed out after \d+ ms waiting for the connection|ETIMEDOUT/, 'no answer (is the address right? a firewall may drop the connection)'],
  [/ENOTFOUND|EAI_AGAIN|EAI_NONAME/, 'the host name is not known'],
  [/EHOSTUNREACH|ENETUNREACH|EHOSTDOWN/, 'the host cannot be reached from this computer'],
  [/ECONNRESET|EPIPE/, 'the connection was closed by the other side'],
  [/EADDRNOTAVAIL/, 'the address is not available'],
];

/**
 * A failure to reach `peer` in words, or null when `message` is not about connecting (a DIMSE
 * status, a file problem …: those already say what happened).
 */
export function connectFailure(message: string, peer: Peer): string | null {
  for (const [pattern, words] of CONNECT_FAILURES) {
    if (pattern.test(message)) return `could not connect to ${peer.aeTitle} at ${hostPort(peer)} — ${words}`;
  }
  if (/^Association rejected/i.test(message) || /rejected the association/i.test(message)) return `${peer.aeTitle} at ${hostPort(peer)} refused the association: ${message}`;
  return null;
}

/** `message`, or its words when it is about connecting to `peer`. */
export function inWords(message: string, peer: Peer): string {
  return connectFailure(message, peer) ?? message;
}

/**
 * Why a job stored nothing, from its instances' failure messages: the one reason they share (in
 * words), or a count with the most common reason.
 */
export function jobFailure(messages: string[], peer: Peer): string {
  const counts = new Map<string, number>();
  for (const m of messages) counts.set(m, (counts.get(m) ?? 0) + 1);
  const [top, n] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
  if (counts.size === 1) return inWords(top, peer);
  return `none of the ${messages.length} instances was stored; ${n} failed with: ${inWords(top, peer)}`;
}

const hostPort = (p: Peer) => `${p.host.includes(':') ? `[${p.host}]` : p.host}:${p.port}`;
