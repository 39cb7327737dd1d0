/**
 * docs/cli.md is the `courier` command's contract: every command has its section there, and every
 * option its usage line declares is documented in that section (a new option fails here until it is).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { commands } from '../../electron/cli/commands.ts';
import { ROOT } from '../helpers.ts';

test('docs/cli.md documents every courier command and every option of its usage line', async () => {
  const doc = readFileSync(join(ROOT, 'docs', 'cli.md'), 'utf8');
  const sections = new Map(doc.split(/^## /m).slice(1).map((s) => [s.slice(0, s.indexOf('\n')).trim(), s]));
  assert.ok(commands.length >= 7);
  for (const entry of commands) {
    const command = await entry.load();
    const section = sections.get(command.name);
    assert.ok(section, `docs/cli.md has no "## ${command.name}" section`);
    const options = command.usage.match(/--[a-z][a-z0-9-]*/g) ?? [];
    for (const option of new Set(options)) assert.ok(section.includes(option), `docs/cli.md's ${command.name} section does not mention ${option}`);
  }
});
