/**
 * The peers the tests need beyond Node (real DICOM tools and servers, a browser, reference files),
 * each with how to find it and the Debian package that installs it: the one place that knows them.
 * A test that cannot run without a peer skips with `{ skip: missingPeers('storescp') }`, whose
 * reason reads `missing peer: dcmtk (storescp)`; scripts/runTests.ts counts those skips, ends the
 * run with the packages and the apt command, and under CI=true fails the run.
 * COURIER_TEST_WITHOUT=storescp,Orthanc makes the tests behave as if those peers were missing.
 */
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { CHROMIUM, hasCommand, ORTHANC, PYDICOM_TEST_FILES, SYSTEM_PYTHON } from './helpers.ts';

const command = (name: string) => () => hasCommand(name);
const dcmtk = (name: string) => ({ package: 'dcmtk', present: command(name) });

/** Every peer by the name a test asks for: the Debian package that installs it, and how to tell it is here. */
const PEERS = {
  storescp: dcmtk('storescp'),
  storescu: dcmtk('storescu'),
  echoscu: dcmtk('echoscu'),
  dcmdump: dcmtk('dcmdump'),
  dcmconv: dcmtk('dcmconv'),
  dcmodify: dcmtk('dcmodify'),
  dcmcjpls: dcmtk('dcmcjpls'),
  dcmdjpeg: dcmtk('dcmdjpeg'),
  Orthanc: { package: 'orthanc', present: command(ORTHANC) },
  dciodvfy: { package: 'dicom3tools', present: command('dciodvfy') },
  chromium: { package: 'chromium', present: () => existsSync(CHROMIUM) },
  python3: { package: 'python3-pydicom', present: () => existsSync(SYSTEM_PYTHON) },
  'pydicom test files': { package: 'python3-pydicom', present: () => existsSync(PYDICOM_TEST_FILES) },
  gdcmconv: { package: 'libgdcm-tools', present: command('gdcmconv') },
  opj_compress: { package: 'libopenjp2-tools', present: command('opj_compress') },
  ojph_compress: { package: 'openjph-tools', present: command('ojph_compress') },
  xorriso: { package: 'xorriso', present: command('xorriso') },
  openssl: { package: 'openssl', present: command('openssl') },
} satisfies Record<string, { package: string; present: () => boolean }>;

/** A peer's name as tests ask for it (a command, or what it is). */
export type PeerName = keyof typeof PEERS;

/** Every Debian package that installs a peer (what .ci/run must install and README.md must name). */
export const PEER_PACKAGES: readonly string[] = [...new Set(Object.values(PEERS).map((p) => p.package))].sort();

/** What a skip reason for missing peers starts with; the rest is `package (peer)`, comma-separated. */
export const MISSING_PEER = 'missing peer: ';

const pretendMissing = new Set((process.env.COURIER_TEST_WITHOUT ?? '').split(',').map((s) => s.trim()));
const found = new Map<PeerName, boolean>();

/** Whether a peer is here (looked up once per process) and the Debian package that installs it. */
export function peer(name: PeerName): { available: boolean; package: string } {
  if (!found.has(name)) found.set(name, !pretendMissing.has(name) && PEERS[name].present());
  return { available: found.get(name)!, package: PEERS[name].package };
}

/** The skip reason when any of these peers is missing (`missing peer: dcmtk (storescp)`), else false. */
export function missingPeers(...names: PeerName[]): string | false {
  const missing = names.filter((n) => !peer(n).available);
  return missing.length > 0 && MISSING_PEER + missing.map((n) => `${PEERS[n].package} (${n})`).join(', ');
}

/** The missing peers a skip reason names (empty when the skip is not for a missing peer). */
export function parseMissingPeers(reason: string): { package: string; peer: string }[] {
  if (!reason.startsWith(MISSING_PEER)) return [];
  return [...reason.slice(MISSING_PEER.length).matchAll(/([a-z0-9.+-]+) \(([^)]+)\)/g)].map((m) => ({ package: m[1]!, peer: m[2]! }));
}

/** For a part of a test that needs these peers: true when they are here, else the test is marked skipped with the reason. */
export function hasPeers(t: TestContext, ...names: PeerName[]): boolean {
  const missing = missingPeers(...names);
  if (missing) t.skip(missing);
  return !missing;
}
