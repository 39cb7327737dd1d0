// `courier <command> --help` prints that command's usage and exits, for every command: `serve` and
// `pacs` used to start their service instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../../helpers.ts';
import { commands } from '../../../electron/cli/commands.ts';

test('EveryCommand_Help_PrintsItsUsageAndExits_StartingNothing', async () => {
  const home = tempDir();
  try {
    for (const entry of commands) {
      const command = await entry.load();
      for (const flag of entry.name === 'serve' ? ['--help', '-h'] : ['--help']) {
        const r = runCli([entry.name, flag, ...(entry.name === 'pacs' ? ['--port', '0'] : [])], home.path, { timeoutMs: 20_000 });
        assert.equal(r.status, 0, `${entry.name} ${flag}: ${r.stderr}`);
        assert.equal(r.stdout, `usage: courier ${command.usage}\n`);
      }
    }
    assert.ok(!existsSync(join(home.path, 'courier.db')), 'no command opened the library');
  } finally {
    home.cleanup();
  }
});
