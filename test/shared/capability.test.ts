// The capability arithmetic the page and the host share agrees with node:crypto.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { base64url, hmacSha256, instanceCapability, sha256 } from '../../shared/capability.ts';

test('sha256, hmacSha256 and base64url agree with node:crypto on edge lengths and random input', () => {
  for (const n of [0, 1, 3, 55, 56, 63, 64, 65, 119, 120, 1000, 70_000]) {
    const data = randomBytes(n);
    assert.equal(Buffer.from(sha256(data)).toString('hex'), createHash('sha256').update(data).digest('hex'), `sha256 of ${n} bytes`);
    assert.equal(base64url(data), data.toString('base64url'), `base64url of ${n} bytes`);
    for (const k of [0, 20, 64, 65, 200]) {
      const key = randomBytes(k);
      assert.equal(Buffer.from(hmacSha256(key, data)).toString('hex'), createHmac('sha256', key).update(data).digest('hex'), `hmac ${k}/${n}`);
    }
  }
});

test('a capability names one instance under one token', () => {
  const token = randomBytes(32).toString('base64url');
  assert.equal(instanceCapability(token, 7), createHmac('sha256', token).update('courier-instance:7').digest('base64url'));
  assert.notEqual(instanceCapability(token, 7), instanceCapability(token, 8));
  assert.notEqual(instanceCapability(token, 7), instanceCapability(randomBytes(32).toString('base64url'), 7));
});
