// Area loggers: lines with timestamp, level and area in the log file; a broken log file is harmless.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { logger, setConsoleLevel, setLogFile } from '../../electron/log.ts';
import { tempDir } from '../helpers.ts';

test('log lines carry time, level and area; debug stays out of the file', () => {
  const dir = tempDir();
  try {
    setConsoleLevel('error');
    setLogFile(join(dir.path, 'logs', 'courier.log'));
    const log = logger('library');
    log.debug('not written');
    log.info('indexed', { files: 3 });
    log.warn('odd file', new Error('boom'));
    const lines = readFileSync(join(dir.path, 'logs', 'courier.log'), 'utf8').trim().split('\n');
    assert.match(lines[0], /^\d{4}-\d\d-\d\dT.* INFO \[library\] indexed \{ files: 3 \}$/);
    assert.match(lines[1], /WARN \[library\] odd file Error: boom/);
    assert.ok(!lines.some((l) => l.includes('not written')));
    assert.equal(setLogFile('/proc/version/cannot-write-here'), false);
    logger('main').info('after a failed log file: no throw');
  } finally {
    setLogFile(null);
    setConsoleLevel('warn');
    dir.cleanup();
  }
});

test('the log file and its folder are this user\'s only, also when an older version left them open or the log was rotated', () => {
  const dir = tempDir();
  try {
    const logs = join(dir.path, 'logs');
    setLogFile(join(logs, 'courier.log'));
    logger('library').info('Doe^Jane indexed');
    assert.equal(statSync(logs).mode & 0o777, 0o700);
    assert.equal(statSync(join(logs, 'courier.log')).mode & 0o777, 0o600);
    const old = join(dir.path, 'old');
    mkdirSync(old, { mode: 0o755 });
    writeFileSync(join(old, 'courier.log'), 'before\n');
    chmodSync(join(old, 'courier.log'), 0o644);
    chmodSync(old, 0o755);
    setLogFile(join(old, 'courier.log'));
    assert.equal(statSync(old).mode & 0o777, 0o700);
    assert.equal(statSync(join(old, 'courier.log')).mode & 0o777, 0o600);
    // Rotated away (logrotate moves the file): the next line makes a new one, private too, whatever the umask.
    const umask = process.umask(0o022);
    try {
      renameSync(join(old, 'courier.log'), join(old, 'courier.log.1'));
      logger('library').info('Doe^John indexed');
      assert.equal(statSync(join(old, 'courier.log')).mode & 0o777, 0o600);
      assert.match(readFileSync(join(old, 'courier.log'), 'utf8'), /Doe\^John/);
    } finally {
      process.umask(umask);
    }
  } finally {
    setLogFile(null);
    dir.cleanup();
  }
});
