/**
 * fast-check arbitraries for PF_KEY models: every extension type with canonical values (what the decoder
 * accepts), messages made of them, and MIGRATE messages of 1..6 bundles with mixed families.
 */
import fc from 'fast-check';
import * as K from './constants.js';
import { buildMigrate } from './migrate-message.js';
import type { IpsecRequest, PfkeyExtension, PfkeyMessage, SadbComb, Sockaddr } from './model.js';

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const words = (max: number) =>
  fc.integer({ min: 0, max }).chain((n) => fc.uint8Array({ minLength: 8 * n, maxLength: 8 * n }));

export const arbSockaddr = (family?: 2 | 10): fc.Arbitrary<Sockaddr> => {
  const v4 = fc.record({
    family: fc.constant(K.AF_INET),
    port: u16,
    addr: fc.uint8Array({ minLength: 4, maxLength: 4 }),
  });
  const v6 = fc.record({
    family: fc.constant(K.AF_INET6),
    port: u16,
    flowinfo: u32,
    addr: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    scopeId: u32,
  });
  if (family === K.AF_INET) return v4;
  if (family === K.AF_INET6) return v6;
  return fc.oneof(v4, v6);
};

const arbAddress = (type: 5 | 6 | 7 | 23): fc.Arbitrary<PfkeyExtension> =>
  arbSockaddr().chain((address) =>
    fc.record({
      type: fc.constant(type),
      proto: u8,
      prefixlen: fc.integer({ min: 0, max: address.family === K.AF_INET ? 32 : 128 }),
      address: fc.constant(address),
    }),
  );

const arbComb: fc.Arbitrary<SadbComb> = fc.record({
  auth: u8,
  encrypt: u8,
  flags: u16,
  authMinbits: u16,
  authMaxbits: u16,
  encryptMinbits: u16,
  encryptMaxbits: u16,
  softAllocations: u32,
  hardAllocations: u32,
  softBytes: u64,
  hardBytes: u64,
  softAddtime: u64,
  hardAddtime: u64,
  softUsetime: u64,
  hardUsetime: u64,
});

const arbRequest: fc.Arbitrary<IpsecRequest> = fc
  .record({
    proto: u16,
    mode: u8,
    level: u8,
    reqid: u32,
    pair: fc.option(fc.constantFrom(K.AF_INET, K.AF_INET6), { nil: undefined }),
  })
  .chain(({ pair, ...rq }) =>
    pair === undefined
      ? fc.constant(rq as IpsecRequest)
      : fc.tuple(arbSockaddr(pair), arbSockaddr(pair)).map(([src, dst]) => ({ ...rq, src, dst })),
  );

/** One arbitrary extension of each known type, keyed by type. */
export const EXT_ARBS: ReadonlyMap<number, fc.Arbitrary<PfkeyExtension>> = new Map<
  number,
  fc.Arbitrary<PfkeyExtension>
>([
  [
    K.SADB_EXT_SA,
    fc.record({
      type: fc.constant(K.SADB_EXT_SA),
      spi: u32,
      replay: u8,
      state: u8,
      auth: u8,
      encrypt: u8,
      flags: u32,
    }),
  ],
  ...[K.SADB_EXT_LIFETIME_CURRENT, K.SADB_EXT_LIFETIME_HARD, K.SADB_EXT_LIFETIME_SOFT].map(
    (t) =>
      [
        t,
        fc.record({
          type: fc.constant(t as 2 | 3 | 4),
          allocations: u32,
          bytes: u64,
          addtime: u64,
          usetime: u64,
        }),
      ] as const,
  ),
  ...[K.SADB_EXT_ADDRESS_SRC, K.SADB_EXT_ADDRESS_DST, K.SADB_EXT_ADDRESS_PROXY, K.SADB_X_EXT_NAT_T_OA].map(
    (t) => [t, arbAddress(t as 5 | 6 | 7 | 23)] as const,
  ),
  ...[K.SADB_EXT_KEY_AUTH, K.SADB_EXT_KEY_ENCRYPT].map(
    (t) =>
      [
        t,
        fc.integer({ min: 0, max: 1024 }).chain((bits) =>
          fc.record({
            type: fc.constant(t as 8 | 9),
            bits: fc.constant(bits),
            key: fc.uint8Array({ minLength: (bits + 7) >> 3, maxLength: (bits + 7) >> 3 }),
          }),
        ),
      ] as const,
  ),
  ...[K.SADB_EXT_IDENTITY_SRC, K.SADB_EXT_IDENTITY_DST].map(
    (t) =>
      [t, fc.record({ type: fc.constant(t as 10 | 11), identType: u16, id: u64, data: words(4) })] as const,
  ),
  [
    K.SADB_EXT_SENSITIVITY,
    fc.record({
      type: fc.constant(K.SADB_EXT_SENSITIVITY),
      dpd: u32,
      sensLevel: u8,
      sensBitmap: words(3),
      integLevel: u8,
      integBitmap: words(3),
    }),
  ],
  [
    K.SADB_EXT_PROPOSAL,
    fc.record({
      type: fc.constant(K.SADB_EXT_PROPOSAL),
      replay: u8,
      combs: fc.array(arbComb, { maxLength: 4 }),
    }),
  ],
  ...[K.SADB_EXT_SUPPORTED_AUTH, K.SADB_EXT_SUPPORTED_ENCRYPT].map(
    (t) =>
      [
        t,
        fc.record({
          type: fc.constant(t as 14 | 15),
          algs: fc.array(fc.record({ id: u8, ivlen: u8, minbits: u16, maxbits: u16 }), { maxLength: 6 }),
        }),
      ] as const,
  ),
  [K.SADB_EXT_SPIRANGE, fc.record({ type: fc.constant(K.SADB_EXT_SPIRANGE), min: u32, max: u32 })],
  [K.SADB_X_EXT_KMPRIVATE, fc.record({ type: fc.constant(K.SADB_X_EXT_KMPRIVATE), data: words(3) })],
  [
    K.SADB_X_EXT_POLICY,
    fc.record({
      type: fc.constant(K.SADB_X_EXT_POLICY),
      policyType: u16,
      dir: u8,
      id: u32,
      priority: u32,
      requests: fc.array(arbRequest, { maxLength: 4 }),
    }),
  ],
  [K.SADB_X_EXT_SA2, fc.record({ type: fc.constant(K.SADB_X_EXT_SA2), mode: u8, sequence: u32, reqid: u32 })],
  [K.SADB_X_EXT_NAT_T_TYPE, fc.record({ type: fc.constant(K.SADB_X_EXT_NAT_T_TYPE), natType: u8 })],
  ...[K.SADB_X_EXT_NAT_T_SPORT, K.SADB_X_EXT_NAT_T_DPORT].map(
    (t) => [t, fc.record({ type: fc.constant(t as 21 | 22), port: u16 })] as const,
  ),
  [
    K.SADB_X_EXT_SEC_CTX,
    fc.record({
      type: fc.constant(K.SADB_X_EXT_SEC_CTX),
      ctxAlg: u8,
      ctxDoi: u8,
      context: fc.uint8Array({ maxLength: 40 }),
    }),
  ],
  [
    K.SADB_X_EXT_KMADDRESS,
    fc.constantFrom(K.AF_INET, K.AF_INET6).chain((f) =>
      fc.record({
        type: fc.constant(K.SADB_X_EXT_KMADDRESS),
        reserved: u32,
        local: arbSockaddr(f),
        remote: arbSockaddr(f),
      }),
    ),
  ],
  [
    K.SADB_X_EXT_FILTER,
    fc.record({
      type: fc.constant(K.SADB_X_EXT_FILTER),
      family: u16,
      saddr: fc.uint8Array({ minLength: 16, maxLength: 16 }),
      daddr: fc.uint8Array({ minLength: 16, maxLength: 16 }),
      splen: u8,
      dplen: u8,
    }),
  ],
  [
    K.SADB_X_EXT_REF,
    fc.record({ type: fc.constant(K.SADB_X_EXT_REF), refType: u8, refTypeExt: u16, mpi: u64 }),
  ],
  [K.SADB_X_EXT_SA_REPLAY, fc.record({ type: fc.constant(K.SADB_X_EXT_SA_REPLAY), replay: u32 })],
]);

/** This project's extensions, which only some message types may carry (validate.ts OWN_PLACES). */
const PLACED = new Set<number>([K.SADB_X_EXT_REF, K.SADB_X_EXT_SA_REPLAY]);

const arbUnknown: fc.Arbitrary<PfkeyExtension> = fc.record({
  type: fc.constant(K.UNKNOWN_EXTENSION),
  exttype: fc.oneof(fc.integer({ min: 27, max: 31 }), fc.integer({ min: 34, max: 0xffff })),
  data: fc
    .integer({ min: 0, max: 3 })
    .chain((n) => fc.uint8Array({ minLength: 4 + 8 * n, maxLength: 4 + 8 * n })),
});

/**
 * A message of a type with no extension rules in any origin (SADB_X_SPDFLUSH), carrying any set of
 * distinct known extensions (this project's aside, which only some types may carry) and a few unknown ones,
 * in any order: every extension codec gets exercised without the message rules getting in the way.
 */
export const arbExtensionSoup: fc.Arbitrary<PfkeyMessage> = fc
  .tuple(
    fc.shuffledSubarray(
      [...EXT_ARBS.keys()].filter((t) => !PLACED.has(t)),
      { maxLength: 10 },
    ),
    fc.array(arbUnknown, { maxLength: 2 }),
    u8,
    u8,
    u32,
    u32,
  )
  .chain(([types, unknown, satype, errno, seq, pid]) =>
    fc.tuple(...types.map((t) => EXT_ARBS.get(t) as fc.Arbitrary<PfkeyExtension>)).map((exts) => ({
      type: K.SADB_X_SPDFLUSH,
      errno,
      satype,
      reserved: 0,
      seq,
      pid,
      extensions: [...exts, ...unknown],
    })),
  );

const arbBundle = fc
  .record({
    proto: fc.constantFrom(K.IPPROTO_ESP, K.IPPROTO_AH, K.IPPROTO_COMP),
    mode: fc.constantFrom(K.IPSEC_MODE_ANY, K.IPSEC_MODE_TRANSPORT, K.IPSEC_MODE_TUNNEL, K.IPSEC_MODE_BEET),
    reqid: u32,
    level: fc.constantFrom(K.IPSEC_LEVEL_REQUIRE, K.IPSEC_LEVEL_UNIQUE),
    oldFamily: fc.constantFrom(K.AF_INET, K.AF_INET6),
    newFamily: fc.constantFrom(K.AF_INET, K.AF_INET6),
  })
  .chain((b) =>
    fc.record({
      proto: fc.constant(b.proto),
      mode: fc.constant(b.mode),
      reqid: fc.constant(b.reqid),
      level: fc.constant(b.level),
      old: fc.record({ src: arbSockaddr(b.oldFamily), dst: arbSockaddr(b.oldFamily) }),
      new: fc.record({ src: arbSockaddr(b.newFamily), dst: arbSockaddr(b.newFamily) }),
    }),
  );

/** SADB_X_MIGRATE messages as the kernel could emit them: 1..6 bundles, families mixed per half. */
export const arbMigrate: fc.Arbitrary<PfkeyMessage> = fc
  .constantFrom(K.AF_INET, K.AF_INET6)
  .chain((family) =>
    fc.record({
      src: arbSockaddr(family),
      dst: arbSockaddr(family),
      srcLen: fc.integer({ min: 0, max: family === K.AF_INET ? 32 : 128 }),
      dstLen: fc.integer({ min: 0, max: family === K.AF_INET ? 32 : 128 }),
      proto: u8,
      dir: fc.constantFrom(K.IPSEC_DIR_INBOUND, K.IPSEC_DIR_OUTBOUND, K.IPSEC_DIR_FWD),
      kmaddress: fc.option(
        fc
          .constantFrom(K.AF_INET, K.AF_INET6)
          .chain((f) => fc.record({ local: arbSockaddr(f), remote: arbSockaddr(f), reserved: u32 })),
        { nil: undefined },
      ),
      bundles: fc.array(arbBundle, { minLength: 1, maxLength: 6 }),
      seq: u32,
      pid: u32,
    }),
  )
  .map((s) =>
    buildMigrate({
      selector: {
        src: { address: s.src, prefixlen: s.srcLen },
        dst: { address: s.dst, prefixlen: s.dstLen },
        proto: s.proto,
      },
      dir: s.dir,
      kmaddress: s.kmaddress,
      bundles: s.bundles,
      seq: s.seq,
      pid: s.pid,
    }),
  );

/** SADB_X_SPDADD / SPDUPDATE messages with X_REF, as user space sends them. */
export const arbSpdAddWithRef: fc.Arbitrary<PfkeyMessage> = fc
  .constantFrom(K.AF_INET, K.AF_INET6)
  .chain((family) =>
    fc.record({
      type: fc.constantFrom(K.SADB_X_SPDADD, K.SADB_X_SPDUPDATE),
      src: arbSockaddr(family),
      dst: arbSockaddr(family),
      ref: EXT_ARBS.get(K.SADB_X_EXT_REF) as fc.Arbitrary<PfkeyExtension>,
      dir: fc.constantFrom(K.IPSEC_DIR_INBOUND, K.IPSEC_DIR_OUTBOUND, K.IPSEC_DIR_FWD),
      priority: u32,
      templates: fc.array(
        fc.constantFrom(K.AF_INET, K.AF_INET6).chain((f) =>
          fc.record({
            proto: fc.constantFrom(K.IPPROTO_ESP, K.IPPROTO_AH, K.IPPROTO_COMP),
            mode: fc.constant(K.IPSEC_MODE_TUNNEL),
            level: fc.constantFrom(K.IPSEC_LEVEL_REQUIRE, K.IPSEC_LEVEL_UNIQUE),
            reqid: u32,
            src: arbSockaddr(f),
            dst: arbSockaddr(f),
          }),
        ),
        { maxLength: 6 },
      ),
    }),
  )
  .map((s) => ({
    type: s.type,
    errno: 0,
    satype: 0,
    reserved: 0,
    seq: 0,
    pid: 0,
    extensions: [
      { type: K.SADB_EXT_ADDRESS_SRC, proto: 255, prefixlen: 0, address: s.src },
      { type: K.SADB_EXT_ADDRESS_DST, proto: 255, prefixlen: 0, address: s.dst },
      {
        type: K.SADB_X_EXT_POLICY,
        policyType: K.IPSEC_POLICY_IPSEC,
        dir: s.dir,
        id: 0,
        priority: s.priority,
        requests: s.templates,
      },
      s.ref,
    ],
  }));

/** The kernel's answer to SADB_GET for an SA with a wide replay window (SADB_X_EXT_SA_REPLAY). */
export const arbGetReplyWithReplay: fc.Arbitrary<PfkeyMessage> = fc
  .constantFrom(K.AF_INET, K.AF_INET6)
  .chain((family) =>
    fc.record({
      src: arbSockaddr(family),
      dst: arbSockaddr(family),
      sa: EXT_ARBS.get(K.SADB_EXT_SA) as fc.Arbitrary<PfkeyExtension>,
      replay: EXT_ARBS.get(K.SADB_X_EXT_SA_REPLAY) as fc.Arbitrary<PfkeyExtension>,
      seq: u32,
    }),
  )
  .map((s) => ({
    type: K.SADB_GET,
    errno: 0,
    satype: K.SADB_SATYPE_ESP,
    reserved: 0,
    seq: s.seq,
    pid: 0,
    extensions: [
      s.sa,
      { type: K.SADB_EXT_ADDRESS_SRC, proto: 0, prefixlen: 0, address: s.src },
      { type: K.SADB_EXT_ADDRESS_DST, proto: 0, prefixlen: 0, address: s.dst },
      s.replay,
    ],
  }));
