/**
 * Published known-answer vectors, each with its source. Hex is copied from the documents named;
 * lengths in comments are bytes.
 */
import type { HashAlgorithm } from '@mip6sec/core';

export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
export const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
export const repeat = (byte: number, n: number): Uint8Array => new Uint8Array(n).fill(byte);
export const toHex = (b: Uint8Array): string =>
  Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const range = (from: number, to: number): Uint8Array =>
  Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i);

export interface HmacVector {
  readonly name: string;
  readonly alg: HashAlgorithm;
  readonly key: Uint8Array;
  readonly data: Uint8Array;
  /** Expected MAC; shorter than the hash when the RFC gives only a truncated value. */
  readonly mac: Uint8Array;
}

// RFC 2202 section 3, test cases 1-7 for HMAC-SHA-1.
export const RFC2202_HMAC_SHA1: readonly HmacVector[] = [
  { key: repeat(0x0b, 20), data: ascii('Hi There'), mac: 'b617318655057264e28bc0b6fb378c8ef146be00' },
  {
    key: ascii('Jefe'),
    data: ascii('what do ya want for nothing?'),
    mac: 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79',
  },
  { key: repeat(0xaa, 20), data: repeat(0xdd, 50), mac: '125d7342b9ac11cd91a39af48aa17b4f63f175d3' },
  { key: range(0x01, 0x19), data: repeat(0xcd, 50), mac: '4c9007f4026250c6bc8414f9bf50c86c2d7235da' },
  {
    key: repeat(0x0c, 20),
    data: ascii('Test With Truncation'),
    mac: '4c1a03424b55e07fe7f27be1d58bb9324a9a5a04',
  },
  {
    key: repeat(0xaa, 80),
    data: ascii('Test Using Larger Than Block-Size Key - Hash Key First'),
    mac: 'aa4ae5e15272d00e95705637ce8a3b55ed402112',
  },
  {
    key: repeat(0xaa, 80),
    data: ascii('Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data'),
    mac: 'e8e99d0f45237d786d6bbaa7965c7808bbff1a91',
  },
].map((v, i) => ({ name: `RFC 2202 test case ${i + 1}`, alg: 'sha1' as const, ...v, mac: hex(v.mac) }));

// RFC 4231 section 4, test cases 1-7 (case 5 gives only the first 128 bits).
const RFC4231_INPUTS: readonly { key: Uint8Array; data: Uint8Array }[] = [
  { key: repeat(0x0b, 20), data: ascii('Hi There') },
  { key: ascii('Jefe'), data: ascii('what do ya want for nothing?') },
  { key: repeat(0xaa, 20), data: repeat(0xdd, 50) },
  { key: range(0x01, 0x19), data: repeat(0xcd, 50) },
  { key: repeat(0x0c, 20), data: ascii('Test With Truncation') },
  { key: repeat(0xaa, 131), data: ascii('Test Using Larger Than Block-Size Key - Hash Key First') },
  {
    key: repeat(0xaa, 131),
    data: ascii(
      'This is a test using a larger than block-size key and a larger than block-size data. ' +
        'The key needs to be hashed before being used by the HMAC algorithm.',
    ),
  },
];
const RFC4231_MACS: Readonly<Record<'sha256' | 'sha384' | 'sha512', readonly string[]>> = {
  sha256: [
    'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
    '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe',
    '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b',
    'a3b6167473100ee06e0c796c2955552b',
    '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
  ],
  sha384: [
    'afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6',
    'af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649',
    '88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b2a5ab39dc13814b94e3ab6e101a34f27',
    '3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e6801dd23c4a7d679ccf8a386c674cffb',
    '3abf34c3503b2a23a46efc619baef897',
    '4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952',
    '6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5a678cc31e799176d3860e6110c46523e',
  ],
  sha512: [
    '87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde' +
      'daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854',
    '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554' +
      '9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737',
    'fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39' +
      'bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb',
    'b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db' +
      'a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd',
    '415fad6271580a531d4179bc891d87a6',
    '80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352' +
      '6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598',
    'e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944' +
      'b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58',
  ],
};
export const RFC4231_HMAC_SHA2: readonly HmacVector[] = (['sha256', 'sha384', 'sha512'] as const).flatMap(
  (alg) =>
    RFC4231_INPUTS.map((input, i) => ({
      name: `RFC 4231 test case ${i + 1} HMAC-${alg.toUpperCase()}`,
      alg,
      ...input,
      mac: hex(RFC4231_MACS[alg][i]!),
    })),
);

const XCBC_KEY = range(0x00, 0x0f);
// RFC 3566 section 4.6, test cases 1-7 (full 128-bit AES-XCBC-MAC; the -96 value is its prefix).
export const RFC3566_XCBC: readonly { name: string; key: Uint8Array; data: Uint8Array; mac: Uint8Array }[] = [
  { data: new Uint8Array(0), mac: '75f0251d528ac01c4573dfd584d79f29' },
  { data: range(0x00, 0x02), mac: '5b376580ae2f19afe7219ceef172756f' },
  { data: range(0x00, 0x0f), mac: 'd2a246fa349b68a79998a4394ff7a263' },
  { data: range(0x00, 0x13), mac: '47f51b4564966215b8985c63055ed308' },
  { data: range(0x00, 0x1f), mac: 'f54f0ec8d2b9f3d36807734bd5283fd4' },
  { data: range(0x00, 0x21), mac: 'becbb3bccdb518a30677d5481fb6b4d8' },
  { data: new Uint8Array(1000), mac: 'f0dafee895db30253761103b5d84528f' },
].map((v, i) => ({
  name: `RFC 3566 test case ${i + 1} (${v.data.length} bytes)`,
  key: XCBC_KEY,
  ...v,
  mac: hex(v.mac),
}));

// RFC 4434 section 2.1: AES-XCBC-PRF-128 with 16-, 10- and 18-byte keys over the same 20 bytes.
export const RFC4434_PRF: readonly { name: string; key: Uint8Array; data: Uint8Array; output: Uint8Array }[] =
  [
    { key: '000102030405060708090a0b0c0d0e0f', output: '47f51b4564966215b8985c63055ed308' },
    { key: '00010203040506070809', output: '0fa087af7d866e7653434e602fdde835' },
    { key: '000102030405060708090a0b0c0d0e0fedcb', output: '8cd3c93ae598a9803006ffb67c40e9e4' },
  ].map((v) => ({
    name: `RFC 4434 key length ${v.key.length / 2}`,
    key: hex(v.key),
    data: range(0x00, 0x13),
    output: hex(v.output),
  }));

export interface CbcVector {
  readonly name: string;
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
  readonly plaintext: Uint8Array;
  readonly ciphertext: Uint8Array;
}
const SP800_38A_PLAINTEXT = hex(`6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51
  30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710`);
const SP800_38A_IV = range(0x00, 0x0f);
// NIST SP 800-38A appendix F.2.1 (CBC-AES128.Encrypt) and F.2.5 (CBC-AES256.Encrypt); F.2.2 and
// F.2.6 are the same data decrypted.
export const SP800_38A_CBC: readonly CbcVector[] = [
  {
    name: 'SP 800-38A F.2.1 CBC-AES128',
    key: hex('2b7e151628aed2a6abf7158809cf4f3c'),
    iv: SP800_38A_IV,
    plaintext: SP800_38A_PLAINTEXT,
    ciphertext: hex(`7649abac8119b246cee98e9b12e9197d 5086cb9b507219ee95db113a917678b2
      73bed6b8e3c1743b7116e69e22229516 3ff1caa1681fac09120eca307586e1a7`),
  },
  {
    name: 'SP 800-38A F.2.5 CBC-AES256',
    key: hex('603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4'),
    iv: SP800_38A_IV,
    plaintext: SP800_38A_PLAINTEXT,
    ciphertext: hex(`f58c4c04d6e5f1ba779eabfb5f7bfbd6 9cfc4e967edb808d679f777bc6702c7d
      39f23369a9d9bacfa530e26304231461 b2eb05e2c39be9fcda6c19078c6a9d1b`),
  },
];

export interface AeadVector {
  readonly name: string;
  readonly key: Uint8Array;
  readonly nonce: Uint8Array;
  readonly aad: Uint8Array;
  readonly plaintext: Uint8Array;
  /** Ciphertext followed by the 16-byte tag. */
  readonly sealed: Uint8Array;
}
const GCM_K3 = 'feffe9928665731c6d6a8f9467308308';
const GCM_IV3 = hex('cafebabefacedbaddecaf888');
const GCM_P3 = hex(`d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72
  1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255`);
const GCM_P4 = GCM_P3.subarray(0, 60);
const GCM_A4 = hex('feedfacedeadbeeffeedfacedeadbeefabaddad2');
// McGrew and Viega, "The Galois/Counter Mode of Operation (GCM)", appendix B test cases 2-4
// (AES-128) and 14-16 (AES-256); the vectors RFC 4106 ESP uses with a 16-byte ICV.
export const GCM_SPEC_VECTORS: readonly AeadVector[] = [
  {
    name: 'GCM spec test case 2',
    key: new Uint8Array(16),
    nonce: new Uint8Array(12),
    aad: new Uint8Array(0),
    plaintext: new Uint8Array(16),
    sealed: hex('0388dace60b6a392f328c2b971b2fe78 ab6e47d42cec13bdf53a67b21257bddf'),
  },
  {
    name: 'GCM spec test case 3',
    key: hex(GCM_K3),
    nonce: GCM_IV3,
    aad: new Uint8Array(0),
    plaintext: GCM_P3,
    sealed: hex(`42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e
      21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985
      4d5c2af327cd64a62cf35abd2ba6fab4`),
  },
  {
    name: 'GCM spec test case 4',
    key: hex(GCM_K3),
    nonce: GCM_IV3,
    aad: GCM_A4,
    plaintext: GCM_P4,
    sealed: hex(`42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e
      21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091
      5bc94fbc3221a5db94fae95ae7121a47`),
  },
  {
    name: 'GCM spec test case 14',
    key: new Uint8Array(32),
    nonce: new Uint8Array(12),
    aad: new Uint8Array(0),
    plaintext: new Uint8Array(16),
    sealed: hex('cea7403d4d606b6e074ec5d3baf39d18 d0d1c8a799996bf0265b98b5d48ab919'),
  },
  {
    name: 'GCM spec test case 15',
    key: hex(GCM_K3 + GCM_K3),
    nonce: GCM_IV3,
    aad: new Uint8Array(0),
    plaintext: GCM_P3,
    sealed: hex(`522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa
      8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad
      b094dac5d93471bdec1a502270e3cc6c`),
  },
  {
    name: 'GCM spec test case 16',
    key: hex(GCM_K3 + GCM_K3),
    nonce: GCM_IV3,
    aad: GCM_A4,
    plaintext: GCM_P4,
    sealed: hex(`522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa
      8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662
      76fc6ece0f4e1768cddf8853bb2d551b`),
  },
];

export const CHACHA_VECTORS: readonly AeadVector[] = [
  {
    // RFC 7539 section 2.8.2 (nonce = constant 07000000 | IV 4041424344454647).
    name: 'RFC 7539 2.8.2 AEAD_CHACHA20_POLY1305',
    key: range(0x80, 0x9f),
    nonce: hex('070000004041424344454647'),
    aad: hex('50515253c0c1c2c3c4c5c6c7'),
    plaintext: ascii(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
    ),
    sealed: hex(`d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6
      3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36
      92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc
      3ff4def08e4b7a9de576d26586cec64b6116
      1ae10b594f09e26a7e902ecbd0600691`),
  },
  {
    // RFC 7634 appendix B: the encrypted INFORMATIONAL message (reference/ike-mip6.md 2.5).
    // Nonce = salt a0a1a2a3 | IV; AAD = IKE header + SK generic header (32 bytes).
    name: 'RFC 7634 appendix B IKEv2 SK payload',
    key: range(0x80, 0x9f),
    nonce: hex('a0a1a2a3 1011121314151617'),
    aad: hex('c0c1c2c3c4c5c6c7 d0d1d2d3d4d5d6d7 2e202500 00000009 00000045 29000029'),
    plaintext: hex('0000000c 00004001 0000000a 00'),
    sealed: hex('610394701f8d017f7c12924889 6b71bfe25236efd7cdc67066906315b2'),
  },
];

export interface DhVector {
  readonly name: string;
  readonly group: 19 | 20 | 31;
  readonly privateI: Uint8Array;
  readonly publicI: Uint8Array;
  readonly privateR: Uint8Array;
  readonly publicR: Uint8Array;
  readonly secret: Uint8Array;
}
export const DH_VECTORS: readonly DhVector[] = [
  {
    // RFC 5903 section 8.1 (reference/ike-mip6.md 2.4): KE data x‖y, g^ir = x only.
    name: 'RFC 5903 8.1 ECP-256',
    group: 19,
    privateI: hex('C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433'),
    publicI: hex(`DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180
      5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3`),
    privateR: hex('C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53'),
    publicR: hex(`D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63
      56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB`),
    secret: hex('D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE'),
  },
  {
    // RFC 5903 section 8.2.
    name: 'RFC 5903 8.2 ECP-384',
    group: 20,
    privateI: hex(
      '099F3C7034D4A2C699884D73A375A67F7624EF7C6B3C0F160647B67414DCE655E35B538041E649EE3FAEF896783AB194',
    ),
    publicI:
      hex(`667842D7D180AC2CDE6F74F37551F55755C7645C20EF73E31634FE72B4C55EE6DE3AC808ACB4BDB4C88732AEE95F41AA
      9482ED1FC0EEB9CAFC4984625CCFC23F65032149E0E144ADA024181535A0F38EEB9FCFF3C2C947DAE69B4C634573A81C`),
    privateR: hex(
      '41CB0779B4BDB85D47846725FBEC3C9430FAB46CC8DC5060855CC9BDA0AA2942E0308312916B8ED2960E4BD55A7448FC',
    ),
    publicR:
      hex(`E558DBEF53EECDE3D3FCCFC1AEA08A89A987475D12FD950D83CFA41732BC509D0D1AC43A0336DEF96FDA41D0774A3571
      DCFBEC7AACF3196472169E838430367F66EEBE3C6E70C416DD5F0C68759DD1FFF83FA40142209DFF5EAAD96DB9E6386C`),
    secret: hex(
      '11187331C279962D93D604243FD592CB9D0A926F422E47187521287E7156C5C4D603135569B9E9D09CF5D4A270F59746',
    ),
  },
  {
    // RFC 7748 section 6.1, used as-is for IKEv2 group 31 (RFC 8031).
    name: 'RFC 7748 6.1 X25519',
    group: 31,
    privateI: hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'),
    publicI: hex('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a'),
    privateR: hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'),
    publicR: hex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f'),
    secret: hex('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742'),
  },
];

// RFC 7748 section 5.2, first X25519 vector: scalar times an arbitrary input u-coordinate.
export const RFC7748_X25519_FUNCTION = {
  scalar: hex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4'),
  u: hex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c'),
  output: hex('c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552'),
};

// FIPS 180-2 appendix examples: the one-block message "abc".
export const FIPS180_ABC: Readonly<Record<HashAlgorithm, Uint8Array>> = {
  sha1: hex('a9993e364706816aba3e25717850c26c9cd0d89d'),
  sha256: hex('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'),
  sha384: hex(
    'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7',
  ),
  sha512: hex(`ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a
    2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f`),
};

export const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
