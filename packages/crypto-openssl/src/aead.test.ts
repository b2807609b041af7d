import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { opensslAddon } from './addon.js';
import { expectOpensslError, requireAddon } from './addon.test-util.js';
import {
  AEAD_TAG_LENGTH,
  BATCH_ROW_FIELDS,
  BatchRow,
  OpensslAead,
  type OpensslAeadAlgorithm,
} from './aead.js';

const ALGS: readonly OpensslAeadAlgorithm[] = ['aes-gcm', 'chacha20-poly1305'];

/** node:crypto's answer, the independent oracle for the addon's bytes. */
function nodeSeal(
  alg: OpensslAeadAlgorithm,
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  pt: Uint8Array,
) {
  const name = alg === 'aes-gcm' ? `aes-${key.length * 8}-gcm` : 'chacha20-poly1305';
  const c = createCipheriv(name as 'aes-128-gcm', key, nonce, { authTagLength: 16 });
  c.setAAD(aad);
  return Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]);
}

function nodeOpen(
  alg: OpensslAeadAlgorithm,
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  ct: Uint8Array,
) {
  const name = alg === 'aes-gcm' ? `aes-${key.length * 8}-gcm` : 'chacha20-poly1305';
  const d = createDecipheriv(name as 'aes-128-gcm', key, nonce, { authTagLength: 16 });
  d.setAAD(aad);
  d.setAuthTag(ct.subarray(ct.length - 16));
  return Buffer.concat([d.update(ct.subarray(0, ct.length - 16)), d.final()]);
}

const keyOf = (alg: OpensslAeadAlgorithm) =>
  alg === 'aes-gcm'
    ? fc.constantFrom(16, 24, 32).chain((n) => fc.uint8Array({ minLength: n, maxLength: n }))
    : fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('OpensslAead', () => {
  it('loads, and reaches the libcrypto it was built against', ({ skip }) => {
    requireAddon(skip);
    const s = opensslAddon();
    expect(s).toMatchObject({ available: true });
    if (s.available) {
      expect(s.library).toMatch(/^OpenSSL 3\./);
      expect(s.path).toMatch(/openssl_aead\.node$/);
    }
  });

  for (const alg of ALGS) {
    it(`${alg}: seals and opens in place exactly as node:crypto does, at offsets inside a larger buffer`, ({
      skip,
    }) => {
      requireAddon(skip);
      fc.assert(
        fc.property(
          keyOf(alg),
          fc.uint8Array({ minLength: 12, maxLength: 12 }),
          fc.uint8Array({ maxLength: 40 }),
          fc.uint8Array({ maxLength: 300 }),
          fc.nat(20),
          (key, nonce, aad, pt, at) => {
            const aead = new OpensslAead(alg, key);
            const buf = new Uint8Array(at + pt.length + AEAD_TAG_LENGTH + 7).fill(0xee);
            buf.set(pt, at);
            aead.seal(nonce, aad, buf, at, pt.length);
            const sealed = buf.slice(at, at + pt.length + AEAD_TAG_LENGTH);
            expect(Buffer.from(sealed).equals(nodeSeal(alg, key, nonce, aad, pt))).toBe(true);
            // Bytes outside the range are untouched.
            expect(buf.subarray(0, at).every((b) => b === 0xee)).toBe(true);
            expect(buf.subarray(at + pt.length + 16).every((b) => b === 0xee)).toBe(true);
            expect(Buffer.from(nodeOpen(alg, key, nonce, aad, sealed)).equals(Buffer.from(pt))).toBe(true);
            expect(aead.open(nonce, aad, buf, at, pt.length)).toBe(true);
            expect(Buffer.from(buf.subarray(at, at + pt.length)).equals(Buffer.from(pt))).toBe(true);
          },
        ),
        { numRuns: 120 },
      );
    });

    it(`${alg}: a flipped bit anywhere fails the tag, returns false and zeroes the data`, ({ skip }) => {
      requireAddon(skip);
      const key = randomBytes(32).subarray(0, alg === 'aes-gcm' ? 16 : 32);
      const aead = new OpensslAead(alg, key);
      const nonce = randomBytes(12);
      const aad = randomBytes(8);
      const pt = randomBytes(64);
      const sealed = new Uint8Array(pt.length + 16);
      sealed.set(pt);
      aead.seal(nonce, aad, sealed, 0, pt.length);
      for (const at of [0, 31, 63, 64, 79]) {
        const bad = sealed.slice();
        bad[at]! ^= 0x01;
        expect(aead.open(nonce, aad, bad, 0, pt.length)).toBe(false);
        expect(bad.subarray(0, pt.length).every((b) => b === 0)).toBe(true);
      }
      const badAad = Uint8Array.from(aad);
      badAad[0]! ^= 1;
      expect(aead.open(nonce, badAad, sealed.slice(), 0, pt.length)).toBe(false);
      const badNonce = Uint8Array.from(nonce);
      badNonce[11]! ^= 1;
      expect(aead.open(badNonce, aad, sealed.slice(), 0, pt.length)).toBe(false);
      expect(aead.open(nonce, aad, sealed.slice(), 0, pt.length)).toBe(true);
    });
  }

  it('a salt fixes the leading nonce bytes: salted and full-nonce contexts agree', ({ skip }) => {
    requireAddon(skip);
    const key = randomBytes(16);
    const salt = randomBytes(4);
    const iv = randomBytes(8);
    const pt = randomBytes(100);
    const a = new OpensslAead('aes-gcm', key, { salt });
    expect(a.nonceLength).toBe(8);
    const one = new Uint8Array(116);
    one.set(pt);
    a.seal(iv, new Uint8Array(0), one, 0, 100);
    expect(
      Buffer.from(one).equals(nodeSeal('aes-gcm', key, Buffer.concat([salt, iv]), new Uint8Array(0), pt)),
    ).toBe(true);
    expectOpensslError(
      () => a.seal(new Uint8Array(12), new Uint8Array(0), one, 0, 100),
      'EINVAL',
      /nonce must be 8/,
    );
  });

  it('batches: seals and opens many packets of one buffer, each as a single call would', ({ skip }) => {
    requireAddon(skip);
    const key = randomBytes(16);
    const salt = randomBytes(4);
    const batch = new OpensslAead('aes-gcm', key, { salt });
    // ESP-like layout per packet: 8 bytes AAD (SPI, sequence), 8 bytes IV, data, 16 bytes tag.
    const sizes = [0, 1, 15, 16, 17, 100, 1400];
    const stride = 8 + 8 + 1400 + 16;
    const buf = new Uint8Array(stride * sizes.length);
    const table = new Uint32Array(sizes.length * BATCH_ROW_FIELDS);
    const plain: Uint8Array[] = [];
    sizes.forEach((n, i) => {
      const at = i * stride;
      buf.set(randomBytes(16), at);
      const pt = randomBytes(n);
      plain.push(pt);
      buf.set(pt, at + 16);
      const row = i * BATCH_ROW_FIELDS;
      table[row + BatchRow.nonce] = at + 8;
      table[row + BatchRow.aad] = at;
      table[row + BatchRow.aadLength] = 8;
      table[row + BatchRow.data] = at + 16;
      table[row + BatchRow.dataLength] = n;
    });
    expect(batch.sealBatch(buf, table, sizes.length)).toBe(sizes.length);
    sizes.forEach((n, i) => {
      const at = i * stride;
      const want = nodeSeal(
        'aes-gcm',
        key,
        Buffer.concat([salt, buf.subarray(at + 8, at + 16)]),
        buf.subarray(at, at + 8),
        plain[i]!,
      );
      expect(Buffer.from(buf.subarray(at + 16, at + 16 + n + 16)).equals(want)).toBe(true);
      expect(table[i * BATCH_ROW_FIELDS + BatchRow.result]).toBe(1);
    });
    buf[2 * stride + 16]! ^= 1; // corrupt packet 2
    expect(batch.openBatch(buf, table, sizes.length)).toBe(sizes.length - 1);
    sizes.forEach((n, i) => {
      const at = i * stride;
      expect(table[i * BATCH_ROW_FIELDS + BatchRow.result]).toBe(i === 2 ? 0 : 1);
      if (i !== 2) expect(Buffer.from(buf.subarray(at + 16, at + 16 + n)).equals(plain[i]!)).toBe(true);
    });
  });

  it('batches check every row before touching any packet', ({ skip }) => {
    requireAddon(skip);
    const aead = new OpensslAead('aes-gcm', new Uint8Array(16));
    const buf = new Uint8Array(200);
    const before = buf.slice();
    const table = new Uint32Array(2 * BATCH_ROW_FIELDS);
    table.set([0, 12, 8, 20, 50, 0], 0);
    table.set([0, 12, 8, 150, 50, 0], BATCH_ROW_FIELDS); // 150 + 50 + 16 > 200
    expectOpensslError(() => aead.sealBatch(buf, table, 2), 'EINVAL', /row 1/);
    expect(buf).toEqual(before);
    expectOpensslError(() => aead.sealBatch(buf, table, 3), 'EINVAL', /count/);
    expectOpensslError(() => aead.sealBatch(buf, new Int32Array(6) as never, 1), 'EINVAL', /Uint32Array/);
    expect(aead.sealBatch(buf, table, 0)).toBe(0);
  });

  it('refuses bad keys, nonces, salts and ranges with EINVAL, never crashing', ({ skip }) => {
    requireAddon(skip);
    for (const n of [0, 15, 17, 31, 33])
      expectOpensslError(() => new OpensslAead('aes-gcm', new Uint8Array(n)), 'EINVAL', /key/);
    for (const n of [16, 24, 31]) {
      expectOpensslError(() => new OpensslAead('chacha20-poly1305', new Uint8Array(n)), 'EINVAL', /key/);
    }
    expectOpensslError(() => new OpensslAead('aes-ccm' as never, new Uint8Array(16)), 'EINVAL', /algorithm/);
    expectOpensslError(() => new OpensslAead('aes-gcm', 'key' as never), 'EINVAL', /Uint8Array/);
    expectOpensslError(
      () => new OpensslAead('aes-gcm', new Uint8Array(16), { salt: new Uint8Array(12) }),
      'EINVAL',
      /salt/,
    );
    const a = new OpensslAead('aes-gcm', new Uint8Array(16));
    const nonce = new Uint8Array(12);
    const aad = new Uint8Array(8);
    const buf = new Uint8Array(64);
    expectOpensslError(() => a.seal(new Uint8Array(11), aad, buf, 0, 10), 'EINVAL', /nonce/);
    expectOpensslError(() => a.seal(nonce, aad, buf, 0, 49), 'EINVAL', /room/); // 49 + 16 > 64
    expectOpensslError(() => a.open(nonce, aad, buf, 60, 0), 'EINVAL', /room/);
    expectOpensslError(() => a.seal(nonce, aad, buf, 65, 0), 'EINVAL', /offset/);
    expectOpensslError(() => a.seal(nonce, aad, buf, -1, 0), 'EINVAL', /offset/);
    expectOpensslError(() => a.seal(nonce, aad, buf, 1.5, 0), 'EINVAL', /offset/);
    expectOpensslError(() => a.seal(nonce, aad, buf, 0, Number.NaN), 'EINVAL', /length/);
    expectOpensslError(() => a.seal(nonce, aad, buf, '0' as never, 0), 'EINVAL', /offset/);
    expectOpensslError(() => a.seal(nonce, aad, new Uint16Array(64) as never, 0, 0), 'EINVAL', /buffer/);
    expectOpensslError(() => a.seal(nonce, null as never, buf, 0, 0), 'EINVAL', /AAD/);
    expectOpensslError(() => a.open(nonce, aad, buf.subarray(0, 15), 0, 0), 'EINVAL', /room/);
    // A view into a larger buffer is bounded by the view, not the buffer behind it.
    expectOpensslError(() => a.seal(nonce, aad, buf.subarray(10, 30), 0, 10), 'EINVAL', /room/);
    expect(() => a.seal(nonce, aad, buf.subarray(10, 36), 0, 10)).not.toThrow();
  });

  it('a disposed context refuses work with EINVAL', ({ skip }) => {
    requireAddon(skip);
    const a = new OpensslAead('chacha20-poly1305', new Uint8Array(32));
    a.dispose();
    expectOpensslError(
      () => a.seal(new Uint8Array(12), new Uint8Array(0), new Uint8Array(16), 0, 0),
      'EINVAL',
      /disposed/,
    );
    a.dispose(); // twice is harmless
  });
});
