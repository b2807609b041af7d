import { createCipheriv, createDecipheriv } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectOpensslError, requireAddon } from './addon.test-util.js';
import { OpensslCbc } from './cbc.js';

const nodeCbc = (encrypt: boolean, key: Uint8Array, iv: Uint8Array, data: Uint8Array) => {
  const c = (encrypt ? createCipheriv : createDecipheriv)(`aes-${key.length * 8}-cbc`, key, iv);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
};

describe('OpensslCbc', () => {
  it('encrypts and decrypts whole blocks in place exactly as node:crypto does, one context for many packets', ({
    skip,
  }) => {
    requireAddon(skip);
    fc.assert(
      fc.property(
        fc.constantFrom(16, 24, 32).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
        fc.array(
          fc.tuple(
            fc.uint8Array({ minLength: 16, maxLength: 16 }),
            fc.nat(10).chain((n) => fc.uint8Array({ minLength: 16 * n, maxLength: 16 * n })),
          ),
          { minLength: 1, maxLength: 4 },
        ),
        fc.nat(9),
        (key, packets, at) => {
          const cbc = new OpensslCbc(key);
          for (const [iv, data] of packets) {
            const buf = new Uint8Array(at + data.length + 3).fill(0xee);
            buf.set(data, at);
            cbc.encrypt(iv, buf, at, data.length);
            const ct = buf.slice(at, at + data.length);
            expect(Buffer.from(ct).equals(nodeCbc(true, key, iv, data))).toBe(true);
            expect(buf.subarray(0, at).every((b) => b === 0xee)).toBe(true);
            expect(buf.subarray(at + data.length).every((b) => b === 0xee)).toBe(true);
            cbc.decrypt(iv, buf, at, data.length);
            expect(Buffer.from(buf.subarray(at, at + data.length)).equals(Buffer.from(data))).toBe(true);
            expect(Buffer.from(nodeCbc(false, key, iv, ct)).equals(Buffer.from(data))).toBe(true);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses bad keys, IVs, partial blocks and ranges with EINVAL', ({ skip }) => {
    requireAddon(skip);
    for (const n of [0, 8, 15, 20, 33])
      expectOpensslError(() => new OpensslCbc(new Uint8Array(n)), 'EINVAL', /key/);
    const cbc = new OpensslCbc(new Uint8Array(16));
    const iv = new Uint8Array(16);
    const buf = new Uint8Array(48);
    expectOpensslError(() => cbc.encrypt(new Uint8Array(12), buf, 0, 16), 'EINVAL', /IV must be 16/);
    expectOpensslError(() => cbc.encrypt(iv, buf, 0, 17), 'EINVAL', /whole 16-byte blocks/);
    expectOpensslError(() => cbc.decrypt(iv, buf, 16, 48), 'EINVAL', /holds no 48 bytes/);
    expectOpensslError(() => cbc.decrypt(iv, buf, 49, 0), 'EINVAL', /offset/);
    expectOpensslError(() => cbc.encrypt(iv, 'buf' as never, 0, 0), 'EINVAL', /buffer/);
  });
});
