import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectOpensslError, requireAddon } from './addon.test-util.js';
import { OpensslHmac, type OpensslHmacHash, opensslDigest, opensslHmacOnce } from './hmac.js';

const HASHES: readonly OpensslHmacHash[] = ['sha1', 'sha256', 'sha384', 'sha512'];

describe('OpensslHmac', () => {
  it('matches node:crypto for any key, message and tail, message after message on one context', ({
    skip,
  }) => {
    requireAddon(skip);
    fc.assert(
      fc.property(
        fc.constantFrom(...HASHES),
        fc.uint8Array({ maxLength: 200 }),
        fc.array(fc.tuple(fc.uint8Array({ maxLength: 300 }), fc.nat(7), fc.uint8Array({ maxLength: 8 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (hash, key, messages) => {
          const h = new OpensslHmac(hash, key);
          for (const [data, at, tail] of messages) {
            const buf = new Uint8Array(at + data.length + 5).fill(0xcc);
            buf.set(data, at);
            const want = createHmac(hash, key).update(data).update(tail).digest();
            const got = h.digest(buf, at, data.length, tail);
            expect(got.length).toBe(h.length);
            expect(Buffer.from(got).equals(want)).toBe(true);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('RFC 4231 test case 2 (HMAC-SHA-256), twice on one context', ({ skip }) => {
    requireAddon(skip);
    const h = new OpensslHmac('sha256', new TextEncoder().encode('Jefe'));
    const data = new TextEncoder().encode('what do ya want for nothing?');
    const want = '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843';
    expect(Buffer.from(h.digest(data, 0, data.length)).toString('hex')).toBe(want);
    expect(Buffer.from(h.digest(data, 0, data.length)).toString('hex')).toBe(want);
  });

  it('refuses unknown hashes and bad ranges with EINVAL', ({ skip }) => {
    requireAddon(skip);
    expectOpensslError(() => new OpensslHmac('md5' as never, new Uint8Array(16)), 'EINVAL', /unsupported/);
    expectOpensslError(
      () => new OpensslHmac('constructor' as never, new Uint8Array(16)),
      'EINVAL',
      /unsupported/,
    );
    expectOpensslError(() => new OpensslHmac('sha1', 'key' as never), 'EINVAL', /Uint8Array/);
    const h = new OpensslHmac('sha1', new Uint8Array(20));
    const buf = new Uint8Array(30);
    expectOpensslError(() => h.digest(buf, 31, 0), 'EINVAL', /offset/);
    expectOpensslError(() => h.digest(buf, 10, 21), 'EINVAL', /length/);
    expectOpensslError(() => h.digest(buf, 0, 4, 'tail' as never), 'EINVAL', /tail/);
  });
});

describe('opensslHmacOnce and opensslDigest', () => {
  it('match node:crypto for any key and message, call after call with different keys', ({ skip }) => {
    requireAddon(skip);
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom(...HASHES),
            fc.uint8Array({ maxLength: 200 }),
            fc.uint8Array({ maxLength: 300 }),
          ),
          { minLength: 1, maxLength: 5 },
        ),
        (calls) => {
          for (const [hash, key, data] of calls) {
            const mac = opensslHmacOnce(hash, key, data);
            expect(Buffer.from(mac).toString('hex')).toBe(createHmac(hash, key).update(data).digest('hex'));
            const digest = opensslDigest(hash, data);
            expect(Buffer.from(digest).toString('hex')).toBe(createHash(hash).update(data).digest('hex'));
          }
        },
      ),
    );
  });

  it('refuses an unknown hash and arguments that are no Uint8Array with EINVAL', ({ skip }) => {
    requireAddon(skip);
    expectOpensslError(
      () => opensslHmacOnce('md5' as never, new Uint8Array(1), new Uint8Array(1)),
      'EINVAL',
      /hash/,
    );
    expectOpensslError(
      () => opensslHmacOnce('sha256', 'key' as never, new Uint8Array(1)),
      'EINVAL',
      /Uint8Array/,
    );
    expectOpensslError(() => opensslDigest('sha3' as never, new Uint8Array(1)), 'EINVAL', /hash/);
    expectOpensslError(() => opensslDigest('sha1', null as never), 'EINVAL', /Uint8Array/);
  });
});
