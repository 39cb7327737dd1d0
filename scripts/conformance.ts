/**
 * The tables of the DICOM Conformance Statement (docs/conformance.md), generated from what the code
 * does, so the statement and the code cannot say two different things:
 *
 * - what Courier proposes as an SCU is recorded on the wire: `courier echo` and `courier send --commit`
 *   run against the built-in test PACS through a proxy that decodes every A-ASSOCIATE-RQ;
 * - what it accepts as an SCP is found by proposing every transfer syntax Courier knows, one per
 *   presentation context, to the real storage commitment accepter;
 * - transcoding, media profiles and character sets come from the code's own tables.
 *
 * `npm run conformance` rewrites each `<!-- generated:ID -->` … `<!-- /generated:ID -->`
 * block of docs/conformance.md; test/docs/conformance.test.ts re-runs it and fails if the file differs.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { APP_ROOT } from '../electron/appRoot.ts';
import { characterSetTerms } from '../electron/dicom/charset.ts';
import { canTranscode } from '../electron/dicom/transcode.ts';
import { IMPLICIT_LE, EXPLICIT_LE, READ_TRANSFER_SYNTAXES, transferSyntaxInfo } from '../electron/dicom/transferSyntax.ts';
import { PROFILES } from '../electron/dicomdir/profiles.ts';
import { Association, VERIFICATION } from '../electron/dimse/association.ts';
import { STORAGE_COMMITMENT_SOP_CLASS, COMMIT_ACTION_COMMAND, encodeCommitRequest } from '../electron/dimse/commitMessages.ts';
import { PduType, decodePdu, type AssociateRq } from '../electron/dimse/pdu.ts';
import { startAccepter } from '../electron/commit/accepter.ts';
import { startPacs } from '../electron/pacs/pacs.ts';
import { encodePart10, type El } from '../test/fixtures/dicomWriter.ts';

/** The statement the tables go into. */
export const STATEMENT = join(APP_ROOT, 'docs', 'conformance.md');

const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
const SECONDARY_CAPTURE_STORAGE = '1.2.840.10008.5.1.4.1.1.7';
const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';

/** Names of the SOP classes the statement lists (PS3.6 Annex A). */
const SOP_NAMES: Record<string, string> = {
  [VERIFICATION]: 'Verification',
  [STORAGE_COMMITMENT_SOP_CLASS]: 'Storage Commitment Push Model',
  [CT_IMAGE_STORAGE]: 'CT Image Storage',
  [SECONDARY_CAPTURE_STORAGE]: 'Secondary Capture Image Storage',
};

/** An A-ASSOCIATE-RQ as it went over the wire, with the user information sub-item types it carried. */
interface RecordedRq {
  rq: AssociateRq;
  /** PS3.7 Annex D / PS3.8 §9.3.2.3 sub-item types, e.g. 0x51 maximum length, 0x56 extended negotiation. */
  subItems: number[];
}

/** The user information sub-item types of an A-ASSOCIATE-RQ's variable field, read independently of pdu.ts. */
function userSubItems(body: Buffer): number[] {
  let p = 68; // protocol version, reserved, called AE, calling AE, reserved (PS3.8 Table 9-11)
  while (p + 4 <= body.length) {
    const type = body[p];
    const length = body.readUInt16BE(p + 2);
    if (type === 0x50) {
      const out: number[] = [];
      for (let q = p + 4; q + 4 <= p + 4 + length; q += 4 + body.readUInt16BE(q + 2)) out.push(body[q]);
      return out;
    }
    p += 4 + length;
  }
  return [];
}

/** A TCP proxy in front of `upstreamPort` that records every A-ASSOCIATE-RQ passing through. */
async function recordingProxy(upstreamPort: number): Promise<{ port: number; recorded: RecordedRq[]; close(): Promise<void> }> {
  const recorded: RecordedRq[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(upstreamPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    let head: Buffer | null = Buffer.alloc(0);
    client.on('data', (chunk) => {
      if (head) {
        head = Buffer.concat([head, chunk]);
        if (head.length >= 6 && head.length >= 6 + head.readUInt32BE(2)) {
          if (head[0] === PduType.AssociateRq) {
            const body = head.subarray(6, 6 + head.readUInt32BE(2));
            recorded.push({ rq: decodePdu(head[0], body) as AssociateRq, subItems: userSubItems(body) });
          }
          head = null;
        }
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    recorded,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A small Part 10 file without pixel data, declaring `transferSyntax` (its dataset is explicit VR LE, which every syntax but Implicit VR, big endian and deflate uses). */
function writeInstance(path: string, sopClass: string, transferSyntax: string, n: number): void {
  const uid = `2.25.${1000 + n}`;
  const dataset: El[] = [
    { tag: 0x00080016, vr: 'UI', value: sopClass },
    { tag: 0x00080018, vr: 'UI', value: uid },
    { tag: 0x00080060, vr: 'CS', value: 'OT' },
    { tag: 0x00100010, vr: 'PN', value: 'CONFORMANCE^STATEMENT' },
    { tag: 0x00100020, vr: 'LO', value: 'CS1' },
    { tag: 0x0020000d, vr: 'UI', value: '2.25.1' },
    { tag: 0x0020000e, vr: 'UI', value: `2.25.2${n}` },
  ];
  writeFileSync(path, encodePart10(sopClass, uid, dataset, transferSyntax));
}

/** Runs the real `courier` command (bin/courier.mjs) with its library in `home` (asynchronously: the peers run in this process). */
async function courier(args: string[], home: string): Promise<string> {
  try {
    const r = await promisify(execFile)(process.execPath, ['--disable-warning=ExperimentalWarning', join(APP_ROOT, 'bin', 'courier.mjs'), ...args], {
      cwd: APP_ROOT,
      env: { ...process.env, COURIER_HOME: home },
      encoding: 'utf8',
      timeout: 120_000,
    });
    return r.stdout;
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    throw new Error(`courier ${args.join(' ')} exited with ${e.code}: ${e.stderr || e.stdout}`);
  }
}

/** What Courier proposes as an SCU, recorded from `courier echo` and `courier send --commit` against the test PACS. */
async function observeRequests(): Promise<{ echo: RecordedRq; store: RecordedRq; commit: RecordedRq; fileSyntaxes: Map<string, string> }> {
  const work = mkdtempSync(join(tmpdir(), 'courier-conformance-'));
  try {
    const pacs = await startPacs({ port: 0, host: '127.0.0.1', aeTitle: 'PACS', dir: join(work, 'pacs'), delivery: 'same', delayMs: 0, fail: new Map() });
    const proxy = await recordingProxy(pacs.port);
    try {
      const files = join(work, 'files');
      mkdirSync(files);
      // One file in a compressed syntax and one in Explicit VR Little Endian, of two SOP classes.
      const fileSyntaxes = new Map([
        [SECONDARY_CAPTURE_STORAGE, JPEG_BASELINE],
        [CT_IMAGE_STORAGE, EXPLICIT_LE],
      ]);
      let n = 0;
      for (const [sopClass, ts] of fileSyntaxes) writeInstance(join(files, `f${++n}.dcm`), sopClass, ts, n);
      const home = join(work, 'home');
      const node = `PACS@127.0.0.1:${proxy.port}`;
      await courier(['echo', node, '--ae', 'COURIER', '--json'], home);
      const sent = JSON.parse(await courier(['send', files, '--to', node, '--ae', 'COURIER', '--commit', '--commit-timeout', '30', '--json'], home)) as {
        instances: { commit: string }[];
      };
      if (sent.instances.length !== fileSyntaxes.size || sent.instances.some((i) => i.commit !== 'committed')) {
        throw new Error(`courier send --commit did not store and commit every file: ${JSON.stringify(sent)}`);
      }
      const find = (what: string, test: (r: RecordedRq) => boolean) => {
        const r = proxy.recorded.find(test);
        if (!r) throw new Error(`no association for ${what} was recorded`);
        return r;
      };
      const has = (r: RecordedRq, uid: string) => r.rq.contexts.some((c) => c.abstractSyntax === uid);
      return {
        echo: find('C-ECHO', (r) => has(r, VERIFICATION) && r.rq.contexts.length === 1),
        store: find('C-STORE', (r) => has(r, CT_IMAGE_STORAGE)),
        commit: find('storage commitment', (r) => has(r, STORAGE_COMMITMENT_SOP_CLASS)),
        fileSyntaxes,
      };
    } finally {
      await proxy.close();
      await pacs.close();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** What the storage commitment accepter accepts: each known transfer syntax proposed in a context of its own, per SOP class. */
async function observeAccepter(): Promise<{ accepted: Map<string, string[]>; roles: { scu: boolean; scp: boolean } | undefined; nActionStatus: number; maxPdu: number }> {
  const accepter = await startAccepter({ aeTitle: 'COURIER', port: 0, host: '127.0.0.1', acceptCalling: () => true, onReport: () => ({ status: 0 }) });
  try {
    const syntaxes = READ_TRANSFER_SYNTAXES;
    const classes = [VERIFICATION, STORAGE_COMMITMENT_SOP_CLASS, CT_IMAGE_STORAGE];
    const assoc = await Association.connect({
      host: '127.0.0.1',
      port: accepter.port,
      callingAe: 'PROBE',
      calledAe: 'COURIER',
      // A reporting PACS proposes itself as SCP of Storage Commitment (PS3.4 J.3.3, as Orthanc does).
      contexts: classes.flatMap((uid) =>
        syntaxes.map((ts) => ({ abstractSyntax: uid, transferSyntaxes: [ts], ...(uid === STORAGE_COMMITMENT_SOP_CLASS ? { role: { scu: false, scp: true } } : {}) })),
      ),
    });
    try {
      const accepted = new Map<string, string[]>(classes.map((uid) => [uid, []]));
      let roles: { scu: boolean; scp: boolean } | undefined;
      for (const c of assoc.contexts.values()) {
        if (!c.accepted) continue;
        accepted.get(c.abstractSyntax)!.push(c.transferSyntax);
        if (c.abstractSyntax === STORAGE_COMMITMENT_SOP_CLASS) roles = c.role;
      }
      // Is the accepter an SCP of Storage Commitment? Ask it to commit something.
      const ctx = assoc.contextFor(STORAGE_COMMITMENT_SOP_CLASS, IMPLICIT_LE)!;
      const rsp = await assoc.request(
        { ...COMMIT_ACTION_COMMAND },
        ctx.id,
        encodeCommitRequest({ TransactionUID: '2.25.1', referenced: [{ SOPClassUID: CT_IMAGE_STORAGE, SOPInstanceUID: '2.25.2' }] }),
      );
      return { accepted, roles, nActionStatus: rsp.status.code, maxPdu: assoc.peerMaxPdu };
    } finally {
      await assoc.release();
    }
  } finally {
    await accepter.close();
  }
}

const tsName = (uid: string) => transferSyntaxInfo(uid).name;
const tsCell = (uid: string) => `${tsName(uid)} (${uid})`;
const yes = (b: boolean) => (b ? 'Yes' : 'No');
const table = (head: string[], rows: string[][]) =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
/** The transfer syntaxes of one SOP class's contexts, in the order proposed. */
const proposedFor = (r: RecordedRq, uid: string) => r.rq.contexts.filter((c) => c.abstractSyntax === uid).flatMap((c) => c.transferSyntaxes);
const roleOf = (r: RecordedRq, uid: string) => r.rq.user.roles.find((x) => x.sopClassUid === uid);
const roleText = (role: { scu: boolean; scp: boolean } | undefined) => (role ? `SCU=${role.scu ? 1 : 0}, SCP=${role.scp ? 1 : 0}` : 'none (default roles)');
const SUB_ITEMS: Record<number, string> = {
  0x51: 'Maximum Length',
  0x52: 'Implementation Class UID',
  0x53: 'Asynchronous Operations Window',
  0x54: 'SCP/SCU Role Selection',
  0x55: 'Implementation Version Name',
  0x56: 'SOP Class Extended Negotiation',
  0x57: 'SOP Class Common Extended Negotiation',
  0x58: 'User Identity',
};

/** Every generated table of the statement, by id. */
export async function conformanceTables(): Promise<Map<string, string>> {
  const { echo, store, commit, fileSyntaxes } = await observeRequests();
  const scp = await observeAccepter();
  const tables = new Map<string, string>();

  // Storage: each file's own syntax first, then the same fallbacks for every file.
  const jpegProposal = proposedFor(store, SECONDARY_CAPTURE_STORAGE);
  if (jpegProposal[0] !== fileSyntaxes.get(SECONDARY_CAPTURE_STORAGE)) throw new Error(`a file's own transfer syntax is not proposed first: ${jpegProposal.join(', ')}`);
  const fallbacks = jpegProposal.slice(1);
  const ctProposal = proposedFor(store, CT_IMAGE_STORAGE);
  const expectedCt = [EXPLICIT_LE, ...fallbacks.filter((t) => t !== EXPLICIT_LE)];
  if (ctProposal.join() !== expectedCt.join()) throw new Error(`the CT file's contexts (${ctProposal.join(', ')}) do not follow the rule (${expectedCt.join(', ')})`);
  const onePerContext = store.rq.contexts.every((c) => c.transferSyntaxes.length === 1);

  const storageScp = scp.accepted.get(CT_IMAGE_STORAGE)!.length > 0;
  tables.set(
    'sop-classes',
    table(
      ['SOP Class', 'SOP Class UID', 'SCU', 'SCP'],
      [
        ['Verification', VERIFICATION, yes(proposedFor(echo, VERIFICATION).length > 0), yes(scp.accepted.get(VERIFICATION)!.length > 0)],
        ['Every Storage SOP Class (PS3.4 Annex B): the SOP Class of each file sent, standard or private', 'the file\'s SOP Class UID', yes(ctProposal.length > 0), yes(storageScp)],
        [
          'Storage Commitment Push Model',
          STORAGE_COMMITMENT_SOP_CLASS,
          yes(proposedFor(commit, STORAGE_COMMITMENT_SOP_CLASS).length > 0),
          yes(scp.nActionStatus === 0),
        ],
      ],
    ),
  );

  tables.set(
    'proposed',
    table(
      ['Service', 'Abstract syntax', 'Transfer syntaxes proposed, in order', 'Contexts', 'Role selection proposed'],
      [
        ['Verification (C-ECHO)', SOP_NAMES[VERIFICATION], proposedFor(echo, VERIFICATION).map(tsCell).join(', '), 'one, with every syntax listed', roleText(roleOf(echo, VERIFICATION))],
        [
          'Storage (C-STORE)',
          'the SOP Class of each file',
          ['the file\'s own transfer syntax', ...fallbacks.map(tsCell)].join(', then ') + ' (each once)',
          onePerContext ? 'one per transfer syntax' : 'one per SOP class',
          roleText(roleOf(store, CT_IMAGE_STORAGE)),
        ],
        [
          'Storage Commitment (N-ACTION, and N-EVENT-REPORT received on the same association)',
          SOP_NAMES[STORAGE_COMMITMENT_SOP_CLASS],
          proposedFor(commit, STORAGE_COMMITMENT_SOP_CLASS).map(tsCell).join(', '),
          'one, with every syntax listed',
          roleText(roleOf(commit, STORAGE_COMMITMENT_SOP_CLASS)),
        ],
      ],
    ),
  );

  tables.set(
    'accepted',
    table(
      ['Abstract syntax', 'Transfer syntaxes accepted (the requestor\'s first acceptable one is chosen)', 'Role selection granted'],
      [VERIFICATION, STORAGE_COMMITMENT_SOP_CLASS, CT_IMAGE_STORAGE].map((uid) => {
        const acc = scp.accepted.get(uid)!;
        const name = uid === CT_IMAGE_STORAGE ? 'Any Storage SOP Class (tried: CT Image Storage)' : SOP_NAMES[uid];
        const role = uid === STORAGE_COMMITMENT_SOP_CLASS ? `${roleText(scp.roles)} to a requestor proposing SCU=0, SCP=1` : '—';
        return [name, acc.length ? acc.map(tsCell).join(', ') : 'none: the context is rejected (abstract syntax not supported)', role];
      }),
    ),
  );

  const items = echo.subItems.map((t) => SUB_ITEMS[t] ?? `0x${t.toString(16)}`);
  const absent = [0x53, 0x56, 0x57, 0x58].filter((t) => ![echo, store, commit].some((r) => r.subItems.includes(t))).map((t) => SUB_ITEMS[t]);
  tables.set(
    'association',
    table(
      ['Item', 'Value'],
      [
        ['Application Context Name', echo.rq.applicationContext],
        ['Implementation Class UID', echo.rq.user.implementationClassUid],
        ['Implementation Version Name', echo.rq.user.implementationVersionName ?? '(none)'],
        ['Maximum PDU length we receive (as requestor)', `${echo.rq.user.maxPduLength} bytes`],
        ['Maximum PDU length we receive (as acceptor)', `${scp.maxPdu} bytes`],
        ['User information sub-items sent', items.join(', ')],
        ['Never sent', absent.join(', ') + ': one operation at a time, no extended negotiation, no user identity'],
      ],
    ),
  );

  const known = READ_TRANSFER_SYNTAXES;
  const to = [...new Set([EXPLICIT_LE, IMPLICIT_LE, ...fallbacks])];
  tables.set(
    'transcoding',
    table(
      ['A file in', 'Can be sent, when its own syntax is refused, in'],
      known.map((from) => {
        const targets = to.filter((t) => t !== from && canTranscode(from, t));
        const kind = transferSyntaxInfo(from).encapsulated ? 'decompressed' : 're-encoded';
        return [tsCell(from), targets.length ? `${targets.map(tsName).join(' or ')} (${kind})` : 'nothing else: refused with the reason'];
      }),
    ),
  );

  tables.set(
    'media',
    table(
      ['Application Profile', 'Title', 'Files written in', 'Any other file'],
      [...PROFILES.values()].map((p) => [
        p.id,
        p.title,
        [...p.transferSyntaxes].map(tsCell).join(', '),
        `re-encoded (and decompressed) to ${tsName(EXPLICIT_LE)}`,
      ]),
    ),
  );

  const terms = characterSetTerms();
  tables.set(
    'charsets',
    table(
      ['Kind', 'Specific Character Set (0008,0005) defined terms read'],
      [
        ['Single-byte and multi-byte without code extensions', terms.single.join(', ')],
        ['With ISO 2022 code extensions (first value)', terms.iso2022.join(', ')],
      ],
    ),
  );
  return tables;
}

/** `markdown` with each generated block replaced by its table; throws when a block is missing. */
export function withTables(markdown: string, tables: Map<string, string>): string {
  let out = markdown;
  for (const [id, body] of tables) {
    const open = `<!-- generated:${id} -->`;
    const close = `<!-- /generated:${id} -->`;
    const a = out.indexOf(open);
    const b = out.indexOf(close);
    if (a < 0 || b < a) throw new Error(`${STATEMENT} has no ${open} … ${close} block`);
    out = `${out.slice(0, a + open.length)}\n${body}\n${out.slice(b)}`;
  }
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const before = readFileSync(STATEMENT, 'utf8');
  const after = withTables(before, await conformanceTables());
  if (after !== before) writeFileSync(STATEMENT, after);
  console.log(after === before ? `${STATEMENT} is up to date` : `${STATEMENT} rewritten`);
}
