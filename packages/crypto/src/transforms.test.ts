import type { EncAlgorithm, IntegAlgorithm } from '@mip6sec/core';
import { describe, expect, it } from 'vitest';
import { expectCryptoError } from './describe-provider.test-util.js';
import { NativeCryptoProvider } from './native.js';
import { PortableCryptoProvider } from './portable.js';
import { PRF_TRANSFORMS } from './prf.js';
import {
  ENC_TRANSFORMS,
  encKeyLength,
  INTEG_TRANSFORMS,
  integ,
  integKeyLength,
  integVerify,
  splitEncKey,
} from './transforms.js';
import { ascii, hex, RFC3566_XCBC, repeat, toHex } from './vectors.test-util.js';

// Each ICV is the truncated MAC the IPsec RFC prints for its own test case.
const ICV_VECTORS: readonly {
  source: string;
  alg: IntegAlgorithm;
  key: Uint8Array;
  data: Uint8Array;
  icv: string;
}[] = [
  {
    source: 'RFC 2202 test case 5 (HMAC-SHA-1-96)',
    alg: 'hmac-sha1-96',
    key: repeat(0x0c, 20),
    data: ascii('Test With Truncation'),
    icv: '4c1a03424b55e07fe7f27be1',
  },
  {
    source: 'RFC 4868 2.7.2.1 AUTH256-1',
    alg: 'hmac-sha2-256-128',
    key: repeat(0x0b, 32),
    data: ascii('Hi There'),
    icv: '198a607eb44bfbc69903a0f1cf2bbdc5',
  },
  {
    source: 'RFC 4868 2.7.2.2 AUTH384-1',
    alg: 'hmac-sha2-384-192',
    key: repeat(0x0b, 48),
    data: ascii('Hi There'),
    icv: 'b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee973',
  },
  {
    source: 'RFC 4868 2.7.2.3 AUTH512-1',
    alg: 'hmac-sha2-512-256',
    key: repeat(0x0b, 64),
    data: ascii('Hi There'),
    icv: '637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8',
  },
  ...RFC3566_XCBC.map((v) => ({
    source: `${v.name} (AES-XCBC-MAC-96)`,
    alg: 'aes-xcbc-96' as const,
    key: v.key,
    data: v.data,
    icv: toHex(v.mac.subarray(0, 12)),
  })),
];

for (const p of [new NativeCryptoProvider(), new PortableCryptoProvider()]) {
  describe(`integ (${p.name})`, () => {
    for (const v of ICV_VECTORS) {
      it(`${v.alg}: ${v.source}`, () => {
        const icv = integ(p, v.alg, v.key, v.data);
        expect(icv.length).toBe(INTEG_TRANSFORMS[v.alg].icvLength);
        expect(toHex(icv)).toBe(v.icv);
        expect(integVerify(p, v.alg, v.key, v.data, hex(v.icv))).toBe(true);
      });
    }

    it('integVerify says false for a wrong ICV, a wrong length or other data', () => {
      const v = ICV_VECTORS[1]!;
      const icv = hex(v.icv);
      icv[15]! ^= 0x80;
      expect(integVerify(p, v.alg, v.key, v.data, icv)).toBe(false);
      expect(integVerify(p, v.alg, v.key, v.data, hex(v.icv).subarray(0, 12))).toBe(false);
      expect(integVerify(p, v.alg, v.key, ascii('Hi there'), hex(v.icv))).toBe(false);
    });

    it('refuses none, unknown transforms and keys of the wrong size with EINVAL', () => {
      expectCryptoError(() => integ(p, 'none', new Uint8Array(0), ascii('x')), 'EINVAL');
      expectCryptoError(
        () => integ(p, 'hmac-md5-96' as IntegAlgorithm, new Uint8Array(16), ascii('x')),
        'EINVAL',
      );
      expectCryptoError(() => integ(p, 'hmac-sha1-96', new Uint8Array(16), ascii('x')), 'EINVAL');
      expectCryptoError(() => integ(p, 'hmac-sha2-256-128', new Uint8Array(20), ascii('x')), 'EINVAL');
      expectCryptoError(() => integ(p, 'aes-xcbc-96', new Uint8Array(20), ascii('x')), 'EINVAL');
    });
  });
}

describe('transform tables', () => {
  it('encryption keymat sizes include the AEAD salt (RFC 4106 8.1, RFC 7634 2)', () => {
    expect(encKeyLength('aes-cbc', 128)).toBe(16);
    expect(encKeyLength('aes-cbc', 256)).toBe(32);
    expect(encKeyLength('aes-gcm-16', 128)).toBe(20);
    expect(encKeyLength('aes-gcm-16', 192)).toBe(28);
    expect(encKeyLength('aes-gcm-16', 256)).toBe(36);
    expect(encKeyLength('chacha20-poly1305')).toBe(36);
    expect(encKeyLength('chacha20-poly1305', 256)).toBe(36);
    expect(encKeyLength('null')).toBe(0);
  });

  it('refuses key lengths a transform does not have, and AES without one, with EINVAL', () => {
    expectCryptoError(() => encKeyLength('aes-cbc'), 'EINVAL');
    expectCryptoError(() => encKeyLength('aes-gcm-16', 160), 'EINVAL');
    expectCryptoError(() => encKeyLength('chacha20-poly1305', 128), 'EINVAL');
    expectCryptoError(() => encKeyLength('null', 0), 'EINVAL');
    expectCryptoError(() => encKeyLength('3des' as EncAlgorithm, 192), 'EINVAL');
  });

  it('integrity key sizes follow RFC 2404, 4868 and 3566', () => {
    expect(integKeyLength('none')).toBe(0);
    expect(integKeyLength('hmac-sha1-96')).toBe(20);
    expect(integKeyLength('hmac-sha2-256-128')).toBe(32);
    expect(integKeyLength('hmac-sha2-384-192')).toBe(48);
    expect(integKeyLength('hmac-sha2-512-256')).toBe(64);
    expect(integKeyLength('aes-xcbc-96')).toBe(16);
  });

  it('splits AEAD keymat into key and trailing 4-byte salt, and refuses a wrong size', () => {
    const keymat = Uint8Array.from({ length: 36 }, (_, i) => i);
    const { key, salt } = splitEncKey('aes-gcm-16', keymat);
    expect(key.length).toBe(32);
    expect(toHex(salt)).toBe('20212223');
    expect(splitEncKey('aes-cbc', keymat.subarray(0, 16)).salt.length).toBe(0);
    expectCryptoError(() => splitEncKey('chacha20-poly1305', keymat.subarray(0, 32)), 'EINVAL');
  });

  it('reproduces the worked IKE keymat totals of reference/ike-mip6.md 1.8', () => {
    const ike = (
      prfAlg: keyof typeof PRF_TRANSFORMS,
      enc: EncAlgorithm,
      bits: number | undefined,
      i: IntegAlgorithm,
    ) => 3 * PRF_TRANSFORMS[prfAlg].keyLength + 2 * integKeyLength(i) + 2 * encKeyLength(enc, bits);
    expect(ike('hmac-sha2-256', 'aes-cbc', 256, 'hmac-sha2-256-128')).toBe(224);
    expect(ike('hmac-sha2-256', 'aes-gcm-16', 256, 'none')).toBe(168);
    expect(ike('hmac-sha2-512', 'chacha20-poly1305', undefined, 'none')).toBe(264);
    expect(ike('hmac-sha1', 'aes-cbc', 128, 'hmac-sha1-96')).toBe(132);
  });

  it('gives ESP IV, ICV and padding boundary per transform', () => {
    expect(ENC_TRANSFORMS['aes-cbc']).toMatchObject({ ivLength: 16, icvLength: 0, blockSize: 16 });
    expect(ENC_TRANSFORMS['aes-gcm-16']).toMatchObject({
      ivLength: 8,
      icvLength: 16,
      blockSize: 4,
      saltLength: 4,
    });
    expect(ENC_TRANSFORMS['chacha20-poly1305']).toMatchObject({ ivLength: 8, icvLength: 16, saltLength: 4 });
    expect(ENC_TRANSFORMS.null).toMatchObject({ ivLength: 0, icvLength: 0, blockSize: 4 });
  });
});
