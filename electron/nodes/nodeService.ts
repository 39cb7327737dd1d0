/**
 * The one node service the send queue and storage commitment are given: the remote nodes, our own
 * AE (title, accepter port, TLS files) and the TLS credentials an association to a node uses. The
 * CLI's per-run options (`--ae`, `--tls …`) are given to its constructor, so nothing assigns another
 * service's fields.
 */
import type { LocalAe, NodeInput, NodeRow, TlsFiles } from '../../shared/contract/nodes.ts';
import { readTlsCredentials, type TlsCredentials } from '../dimse/tls.ts';
import type { Db } from '../store/db.ts';
import { NodeStore } from '../store/nodes.ts';

/** A node as AE title, host and port. */
export interface NodeAddress {
  aeTitle: string;
  host: string;
  port: number;
}

/** What one run of a command sets over the saved settings. */
export interface NodeOverrides {
  /** Our AE title (calling AE of requests, called AE of the accepter), e.g. `--ae`. */
  aeTitle?: string;
  /** TLS credentials for one node, e.g. `courier send --tls …` to its `--to` node. */
  tls?: { node: NodeAddress; credentials: TlsCredentials };
}

const sameAddress = (a: NodeAddress, b: NodeAddress) => a.aeTitle === b.aeTitle && a.host === b.host && a.port === b.port;

/** Nodes, our AE and TLS. */
export class NodeService {
  readonly store: NodeStore;
  private readonly overrides: NodeOverrides;

  constructor(db: Db, overrides: NodeOverrides = {}) {
    this.store = new NodeStore(db);
    this.overrides = overrides;
  }

  /** Every node, by name. */
  list(): NodeRow[] {
    return this.store.list();
  }

  /** One node, or null. */
  get(id: number): NodeRow | null {
    return this.store.get(id);
  }

  /** The saved node with this AE title, host and port, or null. */
  find(aeTitle: string, host: string, port: number): NodeRow | null {
    return this.store.find(aeTitle, host, port);
  }

  /** Adds or updates a node. */
  save(input: NodeInput & { id?: number }): NodeRow {
    return this.store.save(input);
  }

  /** Removes a node. */
  remove(id: number): boolean {
    return this.store.remove(id);
  }

  /** Our own AE as saved (Settings), with this run's AE title when one was given. */
  local(): LocalAe {
    const saved = this.store.local();
    return this.overrides.aeTitle ? { ...saved, aeTitle: this.overrides.aeTitle } : saved;
  }

  /** Saves our own AE title, port and TLS files. */
  setLocal(v: { aeTitle: string; port: number; tls?: TlsFiles }): LocalAe {
    this.store.setLocal(v);
    return this.local();
  }

  /**
   * The TLS credentials for an association to `node`: this run's, or our saved files for a saved
   * node marked TLS; null for plain TCP. Throws `TlsSetupError` when our files cannot be read
   * (nothing then goes out in the clear instead).
   */
  tlsFor(node: NodeAddress): TlsCredentials | null {
    const given = this.overrides.tls;
    if (given && sameAddress(given.node, node)) return given.credentials;
    return this.store.find(node.aeTitle, node.host, node.port)?.tls ? readTlsCredentials(this.store.local().tls) : null;
  }

  /** The credentials for a job or request that goes over TLS to `node` (marked so when it was made): this run's, else our saved files. */
  credentialsFor(node: NodeAddress): TlsCredentials {
    const given = this.overrides.tls;
    return given && sameAddress(given.node, node) ? given.credentials : readTlsCredentials(this.store.local().tls);
  }

  /** Our credentials for nodes that call the accepter over TLS (null: TLS callers are refused, with the reason logged). */
  tlsServer(): TlsCredentials | null {
    if (this.overrides.tls) return this.overrides.tls.credentials;
    return readTlsCredentials(this.store.local().tls);
  }

  /** The AEs the accepter admits besides the nodes of open transactions: every saved node (from its host; a TLS node over TLS only). */
  knownCallers(): { aeTitle: string; host: string; tls: boolean }[] {
    return this.store.list().map((n) => ({ aeTitle: n.aeTitle, host: n.host, tls: n.tls }));
  }
}
