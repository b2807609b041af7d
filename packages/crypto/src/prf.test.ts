import { describe, expect, it } from 'vitest';
import { expectCryptoError } from './describe-provider.test-util.js';
import { NativeCryptoProvider } from './native.js';
import { PortableCryptoProvider } from './portable.js';
import { PRF_PLUS_MAX_BLOCKS, PRF_TRANSFORMS, type PrfAlgorithm, prf, prfPlus } from './prf.js';
import { ascii, concat, hex, RFC4434_PRF, repeat, toHex } from './vectors.test-util.js';

// reference/ike-mip6.md 2.1: the OpenSSL IKEv2 KDF self-test data (evpkdf_ikev2.txt), HMAC-SHA-256.
const KDF256 = {
  ni: hex('3651FEF5C9C35E93'),
  nr: hex('C09A8B90A3F04D59'),
  gir: hex(`D084A30166A50FB7325C3960874A839449EF9741C2F4F947D0201DD8C1269273
    D79509F37E3CA3EB4FA2FE2A28254E289CD3F34DAD4EB4DF1A07685A4B8A94FA
    61E2491F7598B3CE65547FF133B3F63D1AC4175EAA695033F3CEDB026A6873A3
    6455172A8540B8A5D23A0143BED0390EE49B168269D75FFFEE9FB62BE965993C`),
  girNew: hex(`52F00AB174C25D5B7139AE5FF4E8E9EDDEE5992D2E36ADF8A559FFD90DAB1442
    E4FBE429D320C0F33552A17D1557FA41EA70E8FB916C4FA27ED52B5F8EBD8461
    AFA78F1159159A64055AC5F6319E29C28EAE58CBC6847770F32C3FED1D047504
    84F854790F95E9EC01BC5BC461F24966462E359511329305038E94DEB6DD42C2`),
  spii: hex('8E5C3AE507221684'),
  spir: hex('B1F201BB155C3ACD'),
  skeyseed: 'efaa7ab0eaa85a3d0be2100cd4b6fe00ff5025a9eafddb3ef518e9f0d3fe60e6',
  dkm: `462B9DD525D4FD71169174272779E704BAF62C6231779AE9EFE8C58B21916B42
    010164AF2111EBD762F6916CA9A6F0EE05C8B320E4EE27705521DE2589ADEA18
    78F1A551738AF7C88DC4F0BB0C096A3F7D1F1A670FC79F49F678D60D665BB371
    0C8657F03BA9F62B9A818D7A228968C506E237AE9502AA6DB395C61EA6A3E795
    04F86B7368BFB5423DF79E48809BBCCD49FD826D024F63D7C2A5566400A12E73
    6AA034510428F5EA008FE2FC16886FA388274EA6C2B4FCFC6141BF04F8207EF8
    AFC224EA1059CB220DC0B23AC0E4CCDA495A4E131B1D56E223ABA5A48E8ED1F5`,
  childDkm: `23647677E7D403FA1E3006F19840AEE18AD9FECC4215814C4131BDEBA98433D8
    B0E31BFBBDDF822ABCCE5E06486AA388022B75E27E1E68AA5983028B65282C73
    0C5D49EF7606770376CFDEC41F7CC435D816029989BC353D3B67B9FD1168DDCB
    8978850DA9B752AEE6A30D0086D2C4D74EC0E03648A0DAD334FAF5FE88084E67
    B0F3E8FEE8B5E1BD3850DB540F1FB8CFFE23C9E92CDA209373F354880C246C75
    3E2A0ECA9CB73B9910A8531C4010E6768FA29F909E60AF777FED6E739C3CFDA0
    3467E915D6F03FCE9C41F5F9D578F8912D66A75457E79EE1D5BCC2BE5C2F9BAE`,
  rekeySkeyseed: '90722C42BD849E9B72D240FC254174270FA8295DE6F0338DAFC303A9EC104F12',
};

// reference/ike-mip6.md 2.2: libreswan programs/cavp/test.acvp.ikev2.run, HMAC-SHA-1.
const KDF1 = {
  ni: hex('32b50d5f4a3763f3'),
  nr: hex('9206a04b26564cb1'),
  gir: hex('4b2c1f971981a8ad8d0abeafabf38cf75fc8349c148142465ed9c8b516b8be52'),
  girNew: hex('863f3c9d06efd39d2b907b97f8699e5dd5251ef64a2a176f36ee40c87d4f9330'),
  spii: hex('34c9e7c188868785'),
  spir: hex('3ff77d760d2b2199'),
  skeyseed: 'a9a7b222b59f8f48645f28a1db5b5f5d7479cba7',
  dkm: `a14293677cc80ff8f9cc0eee30d895da9d8f405666e30ef0dfcb63c634a46002
    a2a63080e514a062768b76606f9fa5e992204fc5a670bde3f10d6b027113936a
    5c55b648a194ae587b0088d52204b702c979fa280870d2ed41efa9c549fd1119
    8af1670b143d384bd275c5f594cf266b05ebadca855e4249520a441a81157435
    a7a56cc4`,
  childDkmPrefix: '8059e3ee8810e6c3a91bc8bcd2a7a41151b8d0e6',
  rekeySkeyseed: '63e81194946ebd05df7df5ebf5d8750056bf1f1d',
};

for (const p of [new NativeCryptoProvider(), new PortableCryptoProvider()]) {
  describe(`prf and prf+ (${p.name})`, () => {
    it('prf+ HMAC-SHA-256 key 0x0b x 20, seed "Hi There" (strongSwan test_prf_plus.c, ike-mip6.md 2.6)', () => {
      const expected = hex(`b9bdc08988b4c2b75aa93e596ac84205fa2ddde1bf7a2572067b00e14b237732
        830509981ad2f94a8c32a47daa2255b660c436347ae756a6edc023477d809590
        e682f61d9c04b06b4ad971a34c8147fa66792ff1434b93c722b32e12f48832eb
        c15ce2369ce71fe9b7b81e5704c14d0f5280a6ec626e992d7a9f`);
      expect(toHex(prfPlus(p, 'hmac-sha2-256', repeat(0x0b, 20), ascii('Hi There'), expected.length))).toBe(
        toHex(expected),
      );
    });

    it('IKEv2 KDF with PRF-HMAC-SHA-256: SKEYSEED, 224-byte DKM, child DKM, rekey SKEYSEED (OpenSSL vectors)', () => {
      const v = KDF256;
      const nonces = concat(v.ni, v.nr);
      const skeyseed = prf(p, 'hmac-sha2-256', nonces, v.gir);
      expect(toHex(skeyseed)).toBe(v.skeyseed);
      const dkm = prfPlus(p, 'hmac-sha2-256', skeyseed, concat(nonces, v.spii, v.spir), 224);
      expect(toHex(dkm)).toBe(toHex(hex(v.dkm)));
      const skD = dkm.subarray(0, 32);
      expect(toHex(prfPlus(p, 'hmac-sha2-256', skD, nonces, 224))).toBe(toHex(hex(v.childDkm)));
      expect(toHex(prf(p, 'hmac-sha2-256', skD, concat(v.girNew, nonces)))).toBe(
        v.rekeySkeyseed.toLowerCase(),
      );
    });

    it('IKEv2 KDF with PRF-HMAC-SHA-1: SKEYSEED, 132-byte DKM, child DKM, rekey SKEYSEED (libreswan ACVP case)', () => {
      const v = KDF1;
      const nonces = concat(v.ni, v.nr);
      const skeyseed = prf(p, 'hmac-sha1', nonces, v.gir);
      expect(toHex(skeyseed)).toBe(v.skeyseed);
      const dkm = prfPlus(p, 'hmac-sha1', skeyseed, concat(nonces, v.spii, v.spir), 132);
      expect(toHex(dkm)).toBe(toHex(hex(v.dkm)));
      const skD = dkm.subarray(0, 20);
      expect(toHex(prfPlus(p, 'hmac-sha1', skD, nonces, 20))).toBe(v.childDkmPrefix);
      expect(toHex(prf(p, 'hmac-sha1', skD, concat(v.girNew, nonces)))).toBe(v.rekeySkeyseed);
    });

    for (const v of RFC4434_PRF) {
      it(`prf aes128-xcbc, ${v.name}`, () => {
        expect(toHex(prf(p, 'aes128-xcbc', v.key, v.data))).toBe(toHex(v.output));
      });
    }

    it('prf+ chains T1 = prf(K, S | 0x01), T2 = prf(K, T1 | S | 0x02) for every PRF', () => {
      const key = repeat(0x11, 16);
      const seed = ascii('seed');
      for (const alg of Object.keys(PRF_TRANSFORMS) as PrfAlgorithm[]) {
        const out = PRF_TRANSFORMS[alg].outputLength;
        const t1 = prf(p, alg, key, concat(seed, Uint8Array.of(1)));
        const t2 = prf(p, alg, key, concat(t1, seed, Uint8Array.of(2)));
        expect(toHex(prfPlus(p, alg, key, seed, out + 5))).toBe(toHex(concat(t1, t2.subarray(0, 5))));
      }
    });

    it('prf+ gives 0 to 255 blocks and refuses more, or a bad length, with EINVAL', () => {
      const key = repeat(1, 32);
      expect(prfPlus(p, 'hmac-sha2-256', key, ascii('s'), 0).length).toBe(0);
      expect(prfPlus(p, 'hmac-sha2-256', key, ascii('s'), PRF_PLUS_MAX_BLOCKS * 32).length).toBe(8160);
      expectCryptoError(
        () => prfPlus(p, 'hmac-sha2-256', key, ascii('s'), PRF_PLUS_MAX_BLOCKS * 32 + 1),
        'EINVAL',
      );
      expectCryptoError(() => prfPlus(p, 'aes128-xcbc', key, ascii('s'), 255 * 16 + 1), 'EINVAL');
      expectCryptoError(() => prfPlus(p, 'hmac-sha1', key, ascii('s'), -1), 'EINVAL');
      expectCryptoError(() => prfPlus(p, 'hmac-sha1', key, ascii('s'), 2.5), 'EINVAL');
      expectCryptoError(() => prfPlus(p, 'hmac-sha1', key, 'seed' as never, 4), 'EINVAL');
    });

    it('refuses an unknown PRF with EINVAL', () => {
      expectCryptoError(
        () => prf(p, 'hmac-md5' as PrfAlgorithm, new Uint8Array(4), new Uint8Array(4)),
        'EINVAL',
      );
      expectCryptoError(
        () => prfPlus(p, 'toString' as PrfAlgorithm, new Uint8Array(4), new Uint8Array(4), 4),
        'EINVAL',
      );
    });
  });
}
