import { createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectOpensslError, requireAddon } from './addon.test-util.js';
import { OpensslX25519, X25519_LENGTH } from './x25519.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : undefined);

// RFC 7748 section 6.1: Alice's and Bob's private and public values, and their shared secret.
const ALICE = {
  priv: hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'),
  pub: '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
};
const BOB = {
  priv: hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'),
  pub: 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f',
};
const SHARED = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';

/** node:crypto's X25519 of a raw private value and a raw peer value, for comparison. */
function nodeX25519(priv: Uint8Array, peer: Uint8Array): string {
  const der = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), priv]);
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(peer).toString('base64url') },
    format: 'jwk',
  });
  return diffieHellman({ privateKey, publicKey }).toString('hex');
}

describe('OpensslX25519', () => {
  it('gives the RFC 7748 section 6.1 public values and shared secret', ({ skip }) => {
    requireAddon(skip);
    const alice = new OpensslX25519(ALICE.priv);
    const bob = new OpensslX25519(BOB.priv);
    expect(toHex(alice.publicKey)).toBe(ALICE.pub);
    expect(toHex(bob.publicKey)).toBe(BOB.pub);
    expect(toHex(alice.derive(bob.publicKey))).toBe(SHARED);
    expect(toHex(bob.derive(alice.publicKey))).toBe(SHARED);
    // A key derives again and again; each result is a new array.
    const again = alice.derive(hex(BOB.pub));
    expect(toHex(again)).toBe(SHARED);
    expect(again).not.toBe(alice.derive(hex(BOB.pub)));
  });

  it('makes fresh keys that agree with each other and with node:crypto', ({ skip }) => {
    requireAddon(skip);
    const a = new OpensslX25519();
    const b = new OpensslX25519();
    expect(a.publicKey).toHaveLength(X25519_LENGTH);
    expect(toHex(a.publicKey)).not.toBe(toHex(b.publicKey));
    expect(toHex(a.derive(b.publicKey))).toBe(toHex(b.derive(a.publicKey)));
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (priv) => {
        const k = new OpensslX25519(priv);
        expect(toHex(k.derive(hex(BOB.pub)))).toBe(nodeX25519(priv, hex(BOB.pub)));
      }),
      { numRuns: 50 },
    );
  });

  it('refuses peer values of small order (an all-zero result, RFC 7748 section 6.1)', ({ skip }) => {
    requireAddon(skip);
    const k = new OpensslX25519(ALICE.priv);
    for (const u of [
      new Uint8Array(32), // u = 0
      hex('0100000000000000000000000000000000000000000000000000000000000000'), // u = 1
      hex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'), // u = p - 1
      hex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'), // order 8
    ])
      expect(k.derive(u)).toBeUndefined();
  });

  it('refuses values of the wrong size or type with EINVAL', ({ skip }) => {
    requireAddon(skip);
    expectOpensslError(
      () => new OpensslX25519(new Uint8Array(31)),
      'EINVAL',
      /private value must be 32 bytes/,
    );
    expectOpensslError(() => new OpensslX25519('x' as never), 'EINVAL', /Uint8Array/);
    const k = new OpensslX25519();
    expectOpensslError(() => k.derive(new Uint8Array(33)), 'EINVAL', /public value must be 32 bytes/);
    expectOpensslError(() => k.derive([1, 2] as never), 'EINVAL', /Uint8Array/);
  });
});
