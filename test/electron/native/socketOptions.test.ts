// TCP_NOTSENT_LOWAT through the optional koffi package (setsockopt from the C library), on real loopback sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { limitUnsentBytes, unsentLimit } from '../../../electron/native/socketOptions.ts';

async function connectedPair(): Promise<{ client: Socket; close: () => void }> {
  const accepted: Socket[] = [];
  const server = createServer((s) => accepted.push(s)).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const client = connect(port, '127.0.0.1');
  await once(client, 'connect');
  return {
    client,
    close: () => {
      client.destroy();
      for (const s of accepted) s.destroy();
      server.close();
    },
  };
}

test('the unsent-bytes limit is set on a connected socket and read back (Linux, macOS)', { skip: !['linux', 'darwin'].includes(process.platform) }, async () => {
  const { client, close } = await connectedPair();
  try {
    const before = unsentLimit(client);
    assert.notEqual(before, null, 'koffi loads from its prebuilt binary and calls getsockopt');
    assert.notEqual(before, 96 * 1024);
    assert.equal(limitUnsentBytes(client, 96 * 1024), true);
    assert.equal(unsentLimit(client), 96 * 1024);
  } finally {
    close();
  }
});

test('a closed socket is no error: the limit is just not set', async () => {
  const { client, close } = await connectedPair();
  close();
  await once(client, 'close');
  assert.equal(limitUnsentBytes(client, 64 * 1024), false);
  assert.equal(unsentLimit(client), null);
});

test('data far beyond the limit still arrives whole and in order', async () => {
  const chunks: Buffer[] = [];
  const server = createServer().listen(0, '127.0.0.1');
  const ended = new Promise((resolve) => server.once('connection', (s: Socket) => s.on('data', (c: Buffer) => chunks.push(c)).on('end', resolve)));
  await once(server, 'listening');
  const client = connect((server.address() as { port: number }).port, '127.0.0.1');
  await once(client, 'connect');
  try {
    limitUnsentBytes(client, 16 * 1024);
    const sent = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < sent.length; i += 4) sent.writeUInt32LE(i, i);
    client.end(sent);
    await ended;
    assert.ok(Buffer.concat(chunks).equals(sent));
  } finally {
    client.destroy();
    server.close();
  }
});
