/**
 * The three messages the bench and the fuzzer start from, built with the package's own builders (from the
 * built dist): a MIGRATE with KMADDRESS and two bundles over IPv6, the kernel's ACQUIRE with a six-comb
 * proposal and an MSRD reference, and an SADB_ADD of an ESP SA with keys, lifetimes and NAT-T.
 */
import * as P from '../dist/index.js';

const comb = (auth, encrypt, amin, amax, emin, emax) => ({
  auth,
  encrypt,
  flags: 0,
  authMinbits: amin,
  authMaxbits: amax,
  encryptMinbits: emin,
  encryptMaxbits: emax,
  softAllocations: 0,
  hardAllocations: 0,
  softBytes: 0n,
  hardBytes: 0n,
  // The times af_key.c dump_esp_combs writes into every comb.
  softAddtime: 72000n,
  hardAddtime: 86400n,
  softUsetime: 25200n,
  hardUsetime: 28800n,
});

export const MESSAGES = {
  'X_MIGRATE (IPv6, KMADDRESS, 2 bundles)': P.buildMigrate({
    selector: { src: '2001:db8:aaaa::100', dst: '::/0' },
    dir: P.IPSEC_DIR_OUTBOUND,
    kmaddress: { local: '2001:db8:dddd::1', remote: '2001:db8:aaaa::1' },
    bundles: [
      {
        proto: P.IPPROTO_ESP,
        mode: P.IPSEC_MODE_TUNNEL,
        reqid: 0x7e57,
        old: { src: '2001:db8:cccc::1', dst: '2001:db8:aaaa::1' },
        new: { src: '2001:db8:dddd::1', dst: '2001:db8:aaaa::1' },
      },
      {
        proto: P.IPPROTO_ESP,
        mode: P.IPSEC_MODE_TRANSPORT,
        reqid: 0x7e58,
        old: { src: '2001:db8:cccc::1', dst: '2001:db8:aaaa::1' },
        new: { src: '2001:db8:dddd::1', dst: '2001:db8:aaaa::1' },
      },
    ],
  }),
  'ACQUIRE (6 combs, X_REF)': P.buildAcquire({
    proto: P.IPPROTO_ESP,
    src: '2001:db8:1::1',
    dst: '2001:db8:77::1',
    policyId: 9,
    priority: 10,
    seq: 2,
    combs: [
      comb(P.SADB_X_AALG_SHA2_256HMAC, P.SADB_X_EALG_AESCBC, 256, 256, 128, 256),
      comb(P.SADB_X_AALG_SHA2_512HMAC, P.SADB_X_EALG_AESCBC, 512, 512, 128, 256),
      comb(P.SADB_AALG_SHA1HMAC, P.SADB_X_EALG_AESCBC, 160, 160, 128, 256),
      comb(P.SADB_X_AALG_SHA2_256HMAC, P.SADB_X_EALG_AESCTR, 256, 256, 160, 288),
      comb(P.SADB_AALG_SHA1HMAC, P.SADB_EALG_3DESCBC, 160, 160, 192, 192),
      comb(P.SADB_X_AALG_AES_XCBC_MAC, P.SADB_X_EALG_AESCBC, 128, 128, 128, 256),
    ],
    ref: { mpi: 0x1122334455667788n, refType: 1 },
  }),
  'ADD (ESP, keys, lifetimes, NAT-T)': (() => {
    const m = P.buildAdd({
      satype: P.SADB_SATYPE_ESP,
      spi: 0xc0ffee01,
      src: '192.0.2.1',
      dst: '198.51.100.7',
      auth: { alg: P.SADB_X_AALG_SHA2_256HMAC, key: new Uint8Array(32).fill(0x11) },
      encrypt: { alg: P.SADB_X_EALG_AESCBC, key: new Uint8Array(16).fill(0x22) },
      mode: P.IPSEC_MODE_TUNNEL,
      reqid: 9,
      replay: 32,
      hard: { bytes: 1n << 40n, addtime: 3600n },
      soft: { bytes: 1n << 39n, addtime: 3000n },
      seq: 42,
      pid: 1234,
    });
    m.extensions.push(
      { type: P.SADB_X_EXT_NAT_T_TYPE, natType: 2 },
      { type: P.SADB_X_EXT_NAT_T_SPORT, port: 4500 },
      { type: P.SADB_X_EXT_NAT_T_DPORT, port: 4500 },
    );
    return m;
  })(),
};
