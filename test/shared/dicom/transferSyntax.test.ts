/**
 * Every transfer syntax is named in Courier's messages (shared/dicom/transferSyntax.ts), checked
 * against an independent list: every Transfer Syntax UID in pydicom's UID dictionary (PS3.6 Annex A
 * as of pydicom 2.3), and those newer than it (HTJ2K, JPEG XL, Deflated Image Frame Compression).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codecFor, TRANSFER_SYNTAXES, transferSyntaxInfo } from '../../../shared/dicom/transferSyntax.ts';
import { python } from '../../helpers.ts';
import { missingPeers } from '../../peers.ts';

test('every transfer syntax pydicom knows, and the newer ones, is named; every compressed one Courier reads has a decoder', { skip: missingPeers('python3') }, () => {
  const pydicom = python<[string, string][]>([
    '-c',
    `import json
from pydicom._uid_dict import UID_dictionary
print(json.dumps([[uid, v[0]] for uid, v in UID_dictionary.items() if v[1] == "Transfer Syntax"]))`,
  ]);
  assert.ok(pydicom.length > 40, `pydicom lists ${pydicom.length} transfer syntaxes`);
  const unnamed = pydicom.filter(([uid]) => !TRANSFER_SYNTAXES.has(uid)).map(([uid, name]) => `${uid} (${name})`);
  assert.deepEqual(unnamed, []);
  const newer = {
    '1.2.840.10008.1.2.4.201': 'HTJ2K (Lossless Only)',
    '1.2.840.10008.1.2.4.202': 'HTJ2K with RPCL (Lossless Only)',
    '1.2.840.10008.1.2.4.203': 'HTJ2K',
    '1.2.840.10008.1.2.4.110': 'JPEG XL Lossless',
    '1.2.840.10008.1.2.8.1': 'Deflated Image Frame Compression',
  };
  for (const [uid, name] of Object.entries(newer)) assert.equal(transferSyntaxInfo(uid).name, name);
  assert.equal(transferSyntaxInfo('1.2.3.4').name, 'Unknown (1.2.3.4)');
  // Video syntaxes are read (indexed, sent as they are) but have no frames to decode.
  const undecodable = [...TRANSFER_SYNTAXES.values()].filter((t) => t.read && t.encapsulated && !codecFor(t.uid) && !/MPEG/.test(t.name)).map((t) => t.name);
  assert.deepEqual(undecodable, []);
});
