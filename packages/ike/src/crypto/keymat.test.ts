import { createCryptoProvider, prfPlus } from '@mip6sec/crypto';
import { describe, expect, it } from 'vitest';
import { AOSP, KDF_SHA1, KDF_SHA256, PRF_PLUS_SHA256 } from '../__fixtures__/vectors.js';
import { bytesToU64, fromHex, toHex } from '../bytes.js';
import { deriveChildKeys, deriveIkeKeys, rekeySkeyseed, skeyseed } from './keymat.js';
import type { Suite } from './proposals.js';

const h = (s: string) => fromHex(s);
const lower = (s: string) => s.toLowerCase();

describe.each(['native', 'portable'] as const)('key derivation (%s provider)', (kind) => {
  const c = createCryptoProvider(kind);

  it('prf+ with HMAC-SHA-256 reproduces strongSwan test_prf_plus.c and refuses 256 blocks', () => {
    expect(
      toHex(
        prfPlus(
          c,
          'hmac-sha2-256',
          h(PRF_PLUS_SHA256.key),
          h(PRF_PLUS_SHA256.seed),
          PRF_PLUS_SHA256.out.length / 2,
        ),
      ),
    ).toBe(PRF_PLUS_SHA256.out);
    expect(() =>
      prfPlus(c, 'hmac-sha2-256', h(PRF_PLUS_SHA256.key), h(PRF_PLUS_SHA256.seed), 255 * 32 + 1),
    ).toThrow();
  });

  it('reproduces the OpenSSL evpkdf_ikev2.txt SHA-256 SKEYSEED, DKM, child DKM and rekey SKEYSEED', () => {
    const v = KDF_SHA256;
    const seed = skeyseed(c, 'hmac-sha2-256', h(v.ni), h(v.nr), h(v.gir));
    expect(toHex(seed)).toBe(lower(v.skeyseed));
    const suite: Suite = {
      protocol: 'ike',
      encr: 'aes-cbc',
      encrKeyBits: 256,
      integ: 'hmac-sha2-256-128',
      prf: 'hmac-sha2-256',
      dh: 14,
    };
    const k = deriveIkeKeys(c, suite, seed, h(v.ni), h(v.nr), bytesToU64(h(v.spiI)), bytesToU64(h(v.spiR)));
    expect(
      toHex(new Uint8Array([...k.skD, ...k.skAi, ...k.skAr, ...k.skEi, ...k.skEr, ...k.skPi, ...k.skPr])),
    ).toBe(lower(v.dkm));
    // Child DKM is 224 bytes of prf+; AES-256 + HMAC-SHA-256 keys for both directions take its first 128.
    const esp: Suite = {
      protocol: 'esp',
      encr: 'aes-cbc',
      encrKeyBits: 256,
      integ: 'hmac-sha2-256-128',
      esn: false,
    };
    const child = deriveChildKeys(c, 'hmac-sha2-256', k.skD, esp, h(v.ni), h(v.nr));
    expect(toHex(new Uint8Array([...child.encI, ...child.integI, ...child.encR, ...child.integR]))).toBe(
      lower(v.childDkm).slice(0, 2 * 128),
    );
    const pfs = deriveChildKeys(c, 'hmac-sha2-256', k.skD, esp, h(v.ni), h(v.nr), h(v.girNew));
    expect(toHex(pfs.encI).slice(0, 64)).toBe(lower(v.childDhDkmPrefix).slice(0, 64));
    const full = prfPlus(
      c,
      'hmac-sha2-256',
      k.skD,
      new Uint8Array([...h(v.girNew), ...h(v.ni), ...h(v.nr)]),
      224,
    );
    expect(toHex(full).startsWith(lower(v.childDhDkmPrefix))).toBe(true);
    expect(toHex(full).endsWith(lower(v.childDhDkmSuffix))).toBe(true);
    expect(toHex(rekeySkeyseed(c, 'hmac-sha2-256', k.skD, h(v.girNew), h(v.ni), h(v.nr)))).toBe(
      lower(v.rekeySkeyseed),
    );
  });

  it('reproduces the libreswan ACVP SHA-1 case', () => {
    const v = KDF_SHA1;
    const seed = skeyseed(c, 'hmac-sha1', h(v.ni), h(v.nr), h(v.gir));
    expect(toHex(seed)).toBe(v.skeyseed);
    const suite: Suite = {
      protocol: 'ike',
      encr: 'aes-cbc',
      encrKeyBits: 128,
      integ: 'hmac-sha1-96',
      prf: 'hmac-sha1',
      dh: 14,
    };
    const k = deriveIkeKeys(c, suite, seed, h(v.ni), h(v.nr), bytesToU64(h(v.spiI)), bytesToU64(h(v.spiR)));
    expect(
      toHex(new Uint8Array([...k.skD, ...k.skAi, ...k.skAr, ...k.skEi, ...k.skEr, ...k.skPi, ...k.skPr])),
    ).toBe(v.dkm);
    const child = deriveChildKeys(
      c,
      'hmac-sha1',
      k.skD,
      { protocol: 'esp', encr: 'aes-cbc', encrKeyBits: 128, integ: 'hmac-sha1-96' },
      h(v.ni),
      h(v.nr),
    );
    expect(toHex(child.encI).slice(0, 32)).toBe(v.childDkmPrefix.slice(0, 32));
    expect(toHex(rekeySkeyseed(c, 'hmac-sha1', k.skD, h(v.girNew), h(v.ni), h(v.nr)))).toBe(v.rekeySkeyseed);
  });

  it('reproduces every key of the AOSP PSK session, IKE and child', () => {
    const v = AOSP;
    const seed = skeyseed(c, 'hmac-sha1', h(v.ni), h(v.nr), h(v.gir));
    expect(toHex(seed)).toBe(lower(v.skeyseed));
    const suite: Suite = {
      protocol: 'ike',
      encr: 'aes-cbc',
      encrKeyBits: 128,
      integ: 'hmac-sha1-96',
      prf: 'hmac-sha1',
      dh: 14,
    };
    const k = deriveIkeKeys(c, suite, seed, h(v.ni), h(v.nr), bytesToU64(h(v.spiI)), bytesToU64(h(v.spiR)));
    expect(toHex(k.skD)).toBe(lower(v.skD));
    expect(toHex(k.skAi)).toBe(lower(v.skAi));
    expect(toHex(k.skAr)).toBe(lower(v.skAr));
    expect(toHex(k.skEi)).toBe(lower(v.skEi));
    expect(toHex(k.skEr)).toBe(lower(v.skEr));
    expect(toHex(k.skPi)).toBe(lower(v.skPi));
    expect(toHex(k.skPr)).toBe(lower(v.skPr));
    const esp: Suite = {
      protocol: 'esp',
      encr: 'aes-cbc',
      encrKeyBits: 128,
      integ: 'hmac-sha1-96',
      esn: false,
    };
    const child = deriveChildKeys(c, 'hmac-sha1', k.skD, esp, h(v.ni), h(v.nr));
    expect(toHex(child.encI)).toBe(lower(v.childEncrI));
    expect(toHex(child.integI)).toBe(lower(v.childIntegI));
    expect(toHex(child.encR)).toBe(lower(v.childEncrR));
    expect(toHex(child.integR)).toBe(lower(v.childIntegR));
  });
});
