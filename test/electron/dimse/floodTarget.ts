/**
 * The storage commitment accepter as the app runs it (CommitService over a real database, the
 * shared DIMSE server underneath), in a process of its own so that floods.test.ts can flood it and
 * read its memory. Usage: node floodTarget.ts <home>; prints {"port":N} once it listens, answers
 * a line "memory" on stdin with {"memory": process.memoryUsage()} (what the RSS is made of, for the
 * test's messages), stops on SIGTERM. Known node: FRIEND at 127.0.0.1.
 */
import { join } from 'node:path';
import { openDatabase } from '../../../electron/store/db.ts';
import { commitServiceFor, saveNode } from '../commit/fixtures.ts';

const home = process.argv[2];
const db = openDatabase(join(home, 'courier.db'));
const service = commitServiceFor(db, { aeTitle: 'COURIER' });
saveNode(db, { aeTitle: 'FRIEND', host: '127.0.0.1' });
const accepter = await service.startAccepter(0, '127.0.0.1');
process.stdout.write(`${JSON.stringify({ port: accepter.port })}\n`);
process.stdin.on('data', (d: Buffer) => {
  if (d.toString().includes('memory')) process.stdout.write(`${JSON.stringify({ memory: process.memoryUsage() })}\n`);
});
process.on('SIGTERM', () => {
  void service.close().then(() => {
    db.close();
    process.exit(0);
  });
});
