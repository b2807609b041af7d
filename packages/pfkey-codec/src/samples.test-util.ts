/**
 * One or more valid messages of every PF_KEY message type, as models, each with the origin whose rules it
 * satisfies. Together they use every extension type. Shared by the message, property and error tests.
 */
import { sockaddr } from './address-text.js';
import * as K from './constants.js';
import { buildAcquire, buildAdd, buildSpdAdd } from './message-builders.js';
import { buildMigrate } from './migrate-message.js';
import type { IpsecRequest, PfkeyExtension, PfkeyMessage } from './model.js';
import type { Origin } from './validate.js';

export interface Sample {
  name: string;
  origin: Exclude<Origin, 'any'>;
  msg: PfkeyMessage;
}

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
const seqBytes = (n: number, first: number): Uint8Array =>
  Uint8Array.from({ length: n }, (_, i) => (first + i) & 0xff);

function msg(
  type: number,
  satype: number,
  extensions: PfkeyExtension[],
  extra: Partial<PfkeyMessage> = {},
): PfkeyMessage {
  return { type, errno: 0, satype, reserved: 0, seq: 1, pid: 100, extensions, ...extra };
}

const v4 = (a: string, port = 0) => sockaddr(a, port);
const v6 = v4;

const addr = (type: 5 | 6 | 7 | 23, a: string, prefixlen?: number, proto = 0, port = 0): PfkeyExtension => {
  const address = sockaddr(a, port);
  return { type, proto, prefixlen: prefixlen ?? (address.family === K.AF_INET ? 32 : 128), address };
};

const policy = (dir: number, id = 0, requests: IpsecRequest[] = []): PfkeyExtension => ({
  type: K.SADB_X_EXT_POLICY,
  policyType: K.IPSEC_POLICY_IPSEC,
  dir,
  id,
  priority: 0,
  requests,
});

const saExt = (spi: number, auth = 0, encrypt = 0): PfkeyExtension => ({
  type: K.SADB_EXT_SA,
  spi,
  replay: 0,
  state: K.SADB_SASTATE_MATURE,
  auth,
  encrypt,
  flags: 0,
});

const lifetime = (type: 2 | 3 | 4, addtime: bigint): PfkeyExtension => ({
  type,
  allocations: 0,
  bytes: 0n,
  addtime,
  usetime: 0n,
});

export const SAMPLES: Sample[] = [
  {
    name: 'GETSPI with SA2 and SPIRANGE',
    origin: 'user',
    msg: msg(K.SADB_GETSPI, K.SADB_SATYPE_ESP, [
      addr(K.SADB_EXT_ADDRESS_SRC, '192.0.2.1'),
      addr(K.SADB_EXT_ADDRESS_DST, '192.0.2.2'),
      { type: K.SADB_X_EXT_SA2, mode: K.IPSEC_MODE_TUNNEL, sequence: 0, reqid: 5 },
      { type: K.SADB_EXT_SPIRANGE, min: 0x100, max: 0x0fffffff },
    ]),
  },
  {
    name: 'UPDATE of an AH SA with identities, sensitivity, proxy, kmprivate and a security context',
    origin: 'user',
    msg: msg(K.SADB_UPDATE, K.SADB_SATYPE_AH, [
      saExt(0x201, K.SADB_X_AALG_SHA2_256HMAC),
      addr(K.SADB_EXT_ADDRESS_SRC, '2001:db8::1'),
      addr(K.SADB_EXT_ADDRESS_DST, '2001:db8::2'),
      addr(K.SADB_EXT_ADDRESS_PROXY, '2001:db8:5::', 64, K.IPPROTO_TCP, 80),
      { type: K.SADB_EXT_KEY_AUTH, bits: 256, key: seqBytes(32, 0x40) },
      {
        type: K.SADB_EXT_IDENTITY_SRC,
        identType: K.SADB_IDENTTYPE_FQDN,
        id: 7n,
        data: new TextEncoder().encode('mn.example\0\0\0\0\0\0'),
      },
      { type: K.SADB_EXT_IDENTITY_DST, identType: K.SADB_IDENTTYPE_PREFIX, id: 0n, data: seqBytes(8, 0xe0) },
      {
        type: K.SADB_EXT_SENSITIVITY,
        dpd: 3,
        sensLevel: 4,
        sensBitmap: seqBytes(16, 1),
        integLevel: 5,
        integBitmap: seqBytes(8, 9),
      },
      { type: K.SADB_X_EXT_KMPRIVATE, data: seqBytes(16, 0x30) },
      {
        type: K.SADB_X_EXT_SEC_CTX,
        ctxAlg: 1,
        ctxDoi: 1,
        context: new TextEncoder().encode('system_u:object_r:x:s0'),
      },
    ]),
  },
  {
    name: 'ADD of an ESP SA with keys, lifetimes, SA2 and NAT-T',
    origin: 'user',
    msg: (() => {
      const m = buildAdd({
        satype: K.SADB_SATYPE_ESP,
        spi: 0xc0ffee01,
        src: '192.0.2.1',
        dst: '198.51.100.7',
        auth: { alg: K.SADB_AALG_SHA1HMAC, key: seqBytes(20, 0x10) },
        encrypt: { alg: K.SADB_X_EALG_AESCBC, key: seqBytes(16, 0xa0) },
        mode: K.IPSEC_MODE_TUNNEL,
        reqid: 9,
        replay: 32,
        hard: { bytes: 1n << 40n, addtime: 3600n },
        soft: { bytes: 1n << 39n, addtime: 3000n },
        seq: 42,
        pid: 1234,
      });
      m.extensions.push(
        { type: K.SADB_X_EXT_NAT_T_TYPE, natType: 2 },
        { type: K.SADB_X_EXT_NAT_T_SPORT, port: 4500 },
        { type: K.SADB_X_EXT_NAT_T_DPORT, port: 4501 },
        addr(K.SADB_X_EXT_NAT_T_OA, '10.0.0.9'),
      );
      return m;
    })(),
  },
  {
    name: "ADD of a ChaCha20-Poly1305 SA with ESN and a 1024-packet replay window (this project's numbers)",
    origin: 'user',
    msg: (() => {
      const m = buildAdd({
        satype: K.SADB_SATYPE_ESP,
        spi: 0x0c0a0001,
        src: '2001:db8::1',
        dst: '2001:db8::2',
        encrypt: { alg: K.SADB_X_EALG_CHACHA20_POLY1305, key: seqBytes(36, 0x30) },
        replay: 255,
        flags: K.SADB_X_SAFLAGS_ESN,
      });
      m.extensions.push({ type: K.SADB_X_EXT_SA_REPLAY, replay: 1024 });
      return m;
    })(),
  },
  {
    name: 'GET reply with a wide replay window',
    origin: 'kernel',
    msg: msg(K.SADB_GET, K.SADB_SATYPE_ESP, [
      {
        type: K.SADB_EXT_SA,
        spi: 0x0c0a0001,
        replay: 255,
        state: K.SADB_SASTATE_MATURE,
        auth: K.SADB_AALG_NONE,
        encrypt: K.SADB_X_EALG_CHACHA20_POLY1305,
        flags: K.SADB_X_SAFLAGS_ESN,
      },
      addr(5, '2001:db8::1'),
      addr(6, '2001:db8::2'),
      { type: K.SADB_EXT_KEY_ENCRYPT, bits: 288, key: seqBytes(36, 0x30) },
      { type: K.SADB_X_EXT_SA_REPLAY, replay: 4096 },
    ]),
  },
  {
    name: 'DELETE',
    origin: 'user',
    msg: msg(K.SADB_DELETE, K.SADB_SATYPE_ESP, [
      saExt(0xc0ffee01),
      addr(5, '192.0.2.1'),
      addr(6, '198.51.100.7'),
    ]),
  },
  {
    name: 'GET',
    origin: 'user',
    msg: msg(K.SADB_GET, K.SADB_SATYPE_ESP, [
      saExt(0xc0ffee01),
      addr(5, '2001:db8::1'),
      addr(6, '2001:db8::2'),
    ]),
  },
  {
    name: 'ACQUIRE failure report',
    origin: 'user',
    msg: msg(K.SADB_ACQUIRE, K.SADB_SATYPE_ESP, [], { seq: 7, errno: 2 }),
  },
  {
    name: 'extended ACQUIRE from the kernel with a proposal and SADB_X_EXT_REF',
    origin: 'kernel',
    msg: buildAcquire({
      proto: K.IPPROTO_ESP,
      src: '2001:db8:1::1',
      dst: '2001:db8:77::1',
      policyId: 9,
      priority: 10,
      seq: 8,
      combs: [
        {
          auth: K.SADB_X_AALG_SHA2_256HMAC,
          encrypt: K.SADB_X_EALG_AESCBC,
          flags: 0,
          authMinbits: 256,
          authMaxbits: 256,
          encryptMinbits: 128,
          encryptMaxbits: 256,
          softAllocations: 0,
          hardAllocations: 0,
          softBytes: 0n,
          hardBytes: 0n,
          softAddtime: 72000n,
          hardAddtime: 86400n,
          softUsetime: 25200n,
          hardUsetime: 28800n,
        },
      ],
      ref: { mpi: 0xfedcba9876543210n, refType: 2 },
    }),
  },
  { name: 'REGISTER request', origin: 'user', msg: msg(K.SADB_REGISTER, K.SADB_SATYPE_ESP, []) },
  {
    name: 'REGISTER reply',
    origin: 'kernel',
    msg: msg(K.SADB_REGISTER, K.SADB_SATYPE_ESP, [
      {
        type: K.SADB_EXT_SUPPORTED_AUTH,
        algs: [{ id: K.SADB_AALG_SHA1HMAC, ivlen: 0, minbits: 160, maxbits: 160 }],
      },
      {
        type: K.SADB_EXT_SUPPORTED_ENCRYPT,
        algs: [
          { id: K.SADB_EALG_3DESCBC, ivlen: 8, minbits: 192, maxbits: 192 },
          { id: K.SADB_X_EALG_AESCBC, ivlen: 16, minbits: 128, maxbits: 256 },
        ],
      },
    ]),
  },
  {
    name: 'EXPIRE (soft) from the kernel',
    origin: 'kernel',
    msg: msg(
      K.SADB_EXPIRE,
      K.SADB_SATYPE_ESP,
      [
        saExt(0xc0ffee01, K.SADB_AALG_SHA1HMAC, K.SADB_X_EALG_AESCBC),
        lifetime(K.SADB_EXT_LIFETIME_SOFT, 3000n),
        lifetime(K.SADB_EXT_LIFETIME_CURRENT, 1700000000n),
        addr(5, '192.0.2.1'),
        addr(6, '198.51.100.7'),
        { type: K.SADB_X_EXT_SA2, mode: K.IPSEC_MODE_TUNNEL, sequence: 0, reqid: 9 },
      ],
      { seq: 0, pid: 0 },
    ),
  },
  { name: 'FLUSH', origin: 'user', msg: msg(K.SADB_FLUSH, K.SADB_SATYPE_UNSPEC, []) },
  {
    name: 'DUMP with a filter',
    origin: 'user',
    msg: msg(K.SADB_DUMP, K.SADB_SATYPE_ESP, [
      {
        type: K.SADB_X_EXT_FILTER,
        family: K.AF_INET,
        saddr: bytes(192, 0, 2, 0, ...new Array<number>(12).fill(0)),
        daddr: new Uint8Array(16),
        splen: 24,
        dplen: 0,
      },
    ]),
  },
  { name: 'X_PROMISC on', origin: 'user', msg: msg(K.SADB_X_PROMISC, 1, []) },
  { name: 'X_PCHANGE (no handler in Linux)', origin: 'kernel', msg: msg(K.SADB_X_PCHANGE, 0, []) },
  {
    name: 'X_SPDUPDATE bound to an MPI',
    origin: 'user',
    msg: buildSpdAdd({
      update: true,
      selector: { src: '2001:db8:aaaa::100', dst: '2001:db8:aaaa::1', proto: K.IPPROTO_MH },
      dir: K.IPSEC_DIR_OUTBOUND,
      priority: 2,
      templates: [{ proto: K.IPPROTO_ESP, mode: K.IPSEC_MODE_TRANSPORT, reqid: 11 }],
      ref: { mpi: 0x1122334455667788n, refType: 1, refTypeExt: 0x0203 },
      seq: 6,
    }),
  },
  {
    name: 'X_SPDADD with tunnel templates of both families',
    origin: 'user',
    msg: buildSpdAdd({
      selector: { src: '2001:db8:1::/64', dst: '2001:db8:2::/64' },
      dir: K.IPSEC_DIR_OUTBOUND,
      priority: 100,
      templates: [
        {
          proto: K.IPPROTO_ESP,
          mode: K.IPSEC_MODE_TUNNEL,
          reqid: 7,
          src: '2001:db8:1::1',
          dst: '2001:db8:2::1',
        },
        { proto: K.IPPROTO_COMP, mode: K.IPSEC_MODE_TUNNEL, src: '192.0.2.1', dst: '192.0.2.2' },
        { proto: K.IPPROTO_AH, mode: K.IPSEC_MODE_TRANSPORT },
      ],
    }),
  },
  {
    name: 'X_SPDDELETE',
    origin: 'user',
    msg: msg(K.SADB_X_SPDDELETE, 0, [
      addr(5, '10.0.0.0', 8, 255),
      addr(6, '10.1.0.0', 16, 255),
      policy(K.IPSEC_DIR_INBOUND),
    ]),
  },
  { name: 'X_SPDGET by id', origin: 'user', msg: msg(K.SADB_X_SPDGET, 0, [policy(K.IPSEC_DIR_OUTBOUND, 9)]) },
  { name: 'X_SPDACQUIRE (no handler in Linux)', origin: 'kernel', msg: msg(K.SADB_X_SPDACQUIRE, 0, []) },
  { name: 'X_SPDDUMP', origin: 'user', msg: msg(K.SADB_X_SPDDUMP, 0, []) },
  {
    name: 'X_SPDDUMP reply with a refcount in sadb_msg_reserved',
    origin: 'kernel',
    msg: msg(
      K.SADB_X_SPDDUMP,
      0,
      [
        addr(5, '::', 0, 255),
        addr(6, '2001:db8:aaaa::100', 128, 255),
        lifetime(K.SADB_EXT_LIFETIME_HARD, 0n),
        lifetime(K.SADB_EXT_LIFETIME_SOFT, 0n),
        lifetime(K.SADB_EXT_LIFETIME_CURRENT, 1700000000n),
        policy(K.IPSEC_DIR_INBOUND, 16, [
          {
            proto: K.IPPROTO_ESP,
            mode: K.IPSEC_MODE_TUNNEL,
            level: K.IPSEC_LEVEL_UNIQUE,
            reqid: 0x7e57,
            src: v6('2001:db8:cccc::1'),
            dst: v6('2001:db8:aaaa::1'),
          },
        ]),
      ],
      { reserved: 2 },
    ),
  },
  {
    name: "X_SPDGET reply with the policy's SADB_X_EXT_REF",
    origin: 'kernel',
    msg: msg(
      K.SADB_X_SPDGET,
      0,
      [
        addr(5, '2001:db8:aaaa::100', 128, K.IPPROTO_MH),
        addr(6, '2001:db8:aaaa::1', 128, K.IPPROTO_MH),
        policy(K.IPSEC_DIR_OUTBOUND, 9, [
          { proto: K.IPPROTO_ESP, mode: K.IPSEC_MODE_TRANSPORT, level: K.IPSEC_LEVEL_UNIQUE, reqid: 11 },
        ]),
        { type: K.SADB_X_EXT_REF, refType: 1, refTypeExt: 0, mpi: 42n },
      ],
      { reserved: 1 },
    ),
  },
  { name: 'X_SPDFLUSH', origin: 'user', msg: msg(K.SADB_X_SPDFLUSH, 0, []) },
  {
    name: 'X_SPDSETIDX',
    origin: 'user',
    msg: msg(K.SADB_X_SPDSETIDX, 0, [
      addr(5, '10.0.0.1', 32, 6, 1234),
      addr(6, '10.0.0.2', 32, 6, 80),
      { ...policy(K.IPSEC_DIR_FWD), policyType: K.IPSEC_POLICY_NONE } as PfkeyExtension,
    ]),
  },
  { name: 'X_SPDEXPIRE (never emitted by Linux)', origin: 'kernel', msg: msg(K.SADB_X_SPDEXPIRE, 0, []) },
  {
    name: 'X_SPDDELETE2 by id',
    origin: 'user',
    msg: msg(K.SADB_X_SPDDELETE2, 0, [policy(K.IPSEC_DIR_INBOUND, 16)]),
  },
  {
    name: 'X_NAT_T_NEW_MAPPING from the kernel',
    origin: 'kernel',
    msg: msg(
      K.SADB_X_NAT_T_NEW_MAPPING,
      K.SADB_SATYPE_ESP,
      [
        saExt(0xc0ffee02),
        addr(5, '192.0.2.1'),
        { type: K.SADB_X_EXT_NAT_T_SPORT, port: 4500 },
        addr(6, '203.0.113.9'),
        { type: K.SADB_X_EXT_NAT_T_DPORT, port: 61234 },
      ],
      { seq: 12, pid: 0 },
    ),
  },
  {
    name: 'X_MIGRATE over IPv6 with KMADDRESS',
    origin: 'user',
    msg: buildMigrate({
      selector: { src: '2001:db8:aaaa::100', dst: '::/0' },
      dir: K.IPSEC_DIR_OUTBOUND,
      kmaddress: { local: '2001:db8:dddd::1', remote: '2001:db8:aaaa::1' },
      bundles: [
        {
          proto: K.IPPROTO_ESP,
          mode: K.IPSEC_MODE_TUNNEL,
          reqid: 0x7e57,
          old: { src: '2001:db8:cccc::1', dst: '2001:db8:aaaa::1' },
          new: { src: '2001:db8:dddd::1', dst: '2001:db8:aaaa::1' },
        },
      ],
    }),
  },
  {
    name: 'X_MIGRATE over IPv4, old IPv4 / new IPv6 endpoints, no KMADDRESS',
    origin: 'user',
    msg: buildMigrate({
      selector: {
        src: { address: v4('10.1.0.0'), prefixlen: 16 },
        dst: { address: v4('10.2.0.5', 500) },
        proto: K.IPPROTO_UDP,
      },
      dir: K.IPSEC_DIR_FWD,
      bundles: [
        {
          proto: K.IPPROTO_AH,
          mode: K.IPSEC_MODE_TUNNEL,
          old: { src: '198.51.100.1', dst: '192.0.2.10' },
          new: { src: '2001:db8::1', dst: '2001:db8::2' },
        },
      ],
      seq: 3,
      pid: 4242,
    }),
  },
];

/** A sample by name (throws if missing, so a typo fails the test). */
export function sample(name: string): Sample {
  const s = SAMPLES.find((x) => x.name === name);
  if (!s) throw new Error(`no sample ${name}`);
  return s;
}
