/**
 * The layering lint rules (eslint.config.js) on code a change could add: an import that climbs the
 * layers inside electron/ is an error naming both layers; one that goes down is not.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ESLint } from 'eslint';
import { ROOT } from './helpers.ts';

/** The local/layers messages for `code` as if it were the file at `path`. */
async function layerErrors(path: string, code: string): Promise<string[]> {
  const [result] = await new ESLint({ cwd: ROOT }).lintText(code, { filePath: path });
  return result.messages.filter((m) => m.ruleId === 'local/layers').map((m) => m.message);
}

test('an import that climbs the layers inside electron/ is a lint error; one that goes down is not', async () => {
  const climbs = await layerErrors('electron/store/example.ts', "import type { Services } from '../services.ts';\nexport type { Services };\n");
  assert.equal(climbs.length, 1);
  assert.match(climbs[0], /electron\/store \(formats and storage\) may not import electron\/services\.ts \(services\)/);
  assert.deepEqual(await layerErrors('electron/send/example.ts', "import { IMPLICIT_LE } from '../dicom/transferSyntax.ts';\nexport const x = IMPLICIT_LE;\n"), []);
});

test('same-layer folders, the CLI into api/, and electron/ into scripts/ are errors; the CLI may start the host', async () => {
  assert.equal((await layerErrors('electron/dimse/example.ts', "export { indexPath } from '../library/indexer.ts';\n")).length, 1);
  assert.equal((await layerErrors('electron/cli/example.ts', "export { nodeHandlers } from '../api/nodes.ts';\n")).length, 1);
  assert.match((await layerErrors('electron/cli/example.ts', "export const f = () => import('../../scripts/buildRenderer.ts');\n"))[0], /may not import scripts\//);
  assert.deepEqual(await layerErrors('electron/cli/example.ts', "export { startHost } from '../host/server.ts';\n"), []);
});
