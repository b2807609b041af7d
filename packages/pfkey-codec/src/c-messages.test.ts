/**
 * Messages built in C with the real structs (test-c/messages.c, compiled with gcc against
 * <linux/pfkeyv2.h> and <linux/ipsec.h>): each is decoded, its values checked against what the C program
 * set, and re-encoded byte for byte.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type Available, requireAvailable, runC } from '../../../test-support/compile-c.js';
import * as K from './constants.js';
import { decode } from './decode.js';
import { encode } from './encode.js';
import { formatIp, fromHex, toHex } from './ip-address.js';
import { fromJson, toJson } from './json.js';
import { readMigrate } from './migrate-message.js';
import {
  type ExtensionOf,
  getExtension,
  type PfkeyExtension,
  type PfkeyMessage,
  type Sockaddr,
} from './model.js';
import type { Origin } from './validate.js';

let run: Available<string>;
let messages: Map<string, Uint8Array>;
beforeAll(() => {
  run = runC(new URL('../test-c/messages.c', import.meta.url));
  messages = new Map();
  if (run.ok) {
    for (const line of run.value.trim().split('\n')) {
      const [name, hex] = line.split('\t') as [string, string];
      messages.set(name, fromHex(hex) as Uint8Array);
    }
  }
});

function load(
  name: string,
  skip: (note: string) => never,
  origin: Origin = 'any',
): { bytes: Uint8Array; msg: PfkeyMessage } {
  requireAvailable(run, skip);
  const bytes = messages.get(name);
  if (!bytes) throw new Error(`messages.c printed no ${name}`);
  const msg = decode(bytes, { origin });
  // Byte-identical re-encoding, directly and through the JSON form.
  expect(toHex(encode(msg))).toBe(toHex(bytes));
  expect(toHex(encode(fromJson(JSON.parse(JSON.stringify(toJson(msg))))))).toBe(toHex(bytes));
  return { bytes, msg };
}

function ext<T extends PfkeyExtension['type']>(msg: PfkeyMessage, type: T): ExtensionOf<T> {
  const e = getExtension(msg, type);
  if (!e) throw new Error(`no extension ${type}`);
  return e;
}

const ip = (s: Sockaddr | undefined): string => (s ? formatIp(s.addr) : 'none');

describe('messages built in C with <linux/pfkeyv2.h> structs', () => {
  it('MIGRATE over IPv6 with KMADDRESS and two bundles', (ctx) => {
    const { bytes, msg } = load('MIGRATE_V6', ctx.skip, 'user');
    // 16 + KMADDRESS 64 + 2 x 40 + X_POLICY (16 + 4 x 72)
    expect(bytes.length).toBe(16 + 64 + 80 + 16 + 4 * 72);
    expect(msg.type).toBe(K.SADB_X_MIGRATE);
    expect(msg.satype).toBe(K.SADB_SATYPE_ESP);
    expect(msg.extensions.map((e) => e.type)).toEqual([
      K.SADB_X_EXT_KMADDRESS,
      K.SADB_EXT_ADDRESS_SRC,
      K.SADB_EXT_ADDRESS_DST,
      K.SADB_X_EXT_POLICY,
    ]);
    const m = readMigrate(msg);
    expect(ip(m.kmaddress?.local)).toBe('2001:db8:dddd::1');
    expect(ip(m.kmaddress?.remote)).toBe('2001:db8:aaaa::1');
    expect(ip(m.selector.src.address)).toBe('2001:db8:aaaa::100');
    expect(m.selector.src.prefixlen).toBe(128);
    expect(ip(m.selector.dst.address)).toBe('::');
    expect(m.selector.dst.prefixlen).toBe(0);
    expect(m.selector.proto).toBe(K.IPSEC_ULPROTO_ANY);
    expect(m.dir).toBe(K.IPSEC_DIR_OUTBOUND);
    expect(m.bundles).toHaveLength(2);
    const [b1, b2] = m.bundles;
    expect(b1).toMatchObject({
      proto: K.IPPROTO_ESP,
      mode: K.IPSEC_MODE_TUNNEL,
      level: K.IPSEC_LEVEL_UNIQUE,
      reqid: 0x7e57,
    });
    expect([ip(b1?.old.src), ip(b1?.old.dst), ip(b1?.new.src), ip(b1?.new.dst)]).toEqual([
      '2001:db8:cccc::1',
      '2001:db8:aaaa::1',
      '2001:db8:dddd::1',
      '2001:db8:aaaa::1',
    ]);
    expect(b2).toMatchObject({ mode: K.IPSEC_MODE_TRANSPORT, reqid: 0x1234 });
  });

  it('MIGRATE over IPv4 with a UDP selector port', (ctx) => {
    const { bytes, msg } = load('MIGRATE_V4', ctx.skip, 'user');
    expect(bytes.length).toBe(16 + 40 + 48 + 16 + 2 * 48);
    expect(msg).toMatchObject({ seq: 17, pid: 4242 });
    const m = readMigrate(msg);
    expect(ip(m.kmaddress?.local)).toBe('192.0.2.77');
    expect(ip(m.kmaddress?.remote)).toBe('198.51.100.1');
    expect(m.selector.proto).toBe(K.IPPROTO_UDP);
    expect(m.selector.src).toMatchObject({ prefixlen: 16 });
    expect(ip(m.selector.dst.address)).toBe('10.2.0.5');
    expect(m.selector.dst.address.port).toBe(500);
    expect(m.dir).toBe(K.IPSEC_DIR_INBOUND);
    expect(ip(m.bundles[0]?.new.dst)).toBe('192.0.2.77');
    expect(m.bundles[0]?.reqid).toBe(42);
  });

  it('SPDADD with tunnel requests of both families and a transport request', (ctx) => {
    const { msg } = load('SPDADD_TUNNEL', ctx.skip, 'user');
    expect(msg).toMatchObject({ type: K.SADB_X_SPDADD, seq: 5, pid: 999 });
    expect(ext(msg, K.SADB_EXT_LIFETIME_HARD).addtime).toBe(86400n);
    expect(ext(msg, K.SADB_EXT_LIFETIME_SOFT).addtime).toBe(72000n);
    const pol = ext(msg, K.SADB_X_EXT_POLICY);
    expect(pol).toMatchObject({ policyType: K.IPSEC_POLICY_IPSEC, dir: K.IPSEC_DIR_OUTBOUND, priority: 100 });
    expect(pol.requests).toHaveLength(3);
    expect(pol.requests[0]).toMatchObject({ proto: K.IPPROTO_ESP, mode: K.IPSEC_MODE_TUNNEL, reqid: 7 });
    expect(ip(pol.requests[0]?.dst)).toBe('2001:db8:2::1');
    expect(pol.requests[1]?.proto).toBe(K.IPPROTO_COMP);
    expect(ip(pol.requests[1]?.src)).toBe('192.0.2.1');
    expect(pol.requests[2]).toEqual({
      proto: K.IPPROTO_AH,
      mode: K.IPSEC_MODE_TRANSPORT,
      level: K.IPSEC_LEVEL_REQUIRE,
      reqid: 0,
    });
  });

  it('SPDUPDATE bound to an MPI with SADB_X_EXT_REF (16-byte struct sadb_x_ref from C)', (ctx) => {
    const { msg } = load('SPDUPDATE_REF', ctx.skip, 'user');
    expect(ext(msg, K.SADB_X_EXT_REF)).toEqual({
      type: K.SADB_X_EXT_REF,
      refType: 1,
      refTypeExt: 0x0203,
      mpi: 0x1122334455667788n,
    });
    expect(ext(msg, K.SADB_EXT_ADDRESS_SRC).proto).toBe(K.IPPROTO_MH);
  });

  it('ADD with keys, lifetimes, SA2, NAT-T and a security context', (ctx) => {
    const { msg } = load('ADD_KEYS', ctx.skip, 'user');
    expect(msg).toMatchObject({ type: K.SADB_ADD, satype: K.SADB_SATYPE_ESP, seq: 42, pid: 1234 });
    expect(ext(msg, K.SADB_EXT_SA)).toEqual({
      type: K.SADB_EXT_SA,
      spi: 0xc0ffee01,
      replay: 32,
      state: K.SADB_SASTATE_MATURE,
      auth: K.SADB_AALG_SHA1HMAC,
      encrypt: K.SADB_X_EALG_AESCBC,
      flags: K.SADB_SAFLAGS_NOECN,
    });
    expect(ext(msg, K.SADB_EXT_LIFETIME_HARD)).toMatchObject({
      allocations: 1000000,
      bytes: 1n << 40n,
      addtime: 3600n,
      usetime: 1800n,
    });
    const auth = ext(msg, K.SADB_EXT_KEY_AUTH);
    expect(auth.bits).toBe(160);
    expect(toHex(auth.key)).toBe('101112131415161718191a1b1c1d1e1f20212223');
    expect(toHex(ext(msg, K.SADB_EXT_KEY_ENCRYPT).key)).toBe('a0a1a2a3a4a5a6a7a8a9aaabacadaeaf');
    expect(ext(msg, K.SADB_X_EXT_SA2)).toMatchObject({ mode: K.IPSEC_MODE_TUNNEL, reqid: 9 });
    expect(ext(msg, K.SADB_X_EXT_NAT_T_TYPE).natType).toBe(2);
    expect(ext(msg, K.SADB_X_EXT_NAT_T_SPORT).port).toBe(4500);
    expect(ext(msg, K.SADB_X_EXT_NAT_T_DPORT).port).toBe(4501);
    expect(ip(ext(msg, K.SADB_X_EXT_NAT_T_OA).address)).toBe('10.0.0.9');
    const sec = ext(msg, K.SADB_X_EXT_SEC_CTX);
    expect(new TextDecoder().decode(sec.context)).toBe('system_u:object_r:ipsec_spd_t:s0');
    expect(sec).toMatchObject({ ctxAlg: 1, ctxDoi: 1 });
  });

  it("SPDGET answer with the policy's SADB_X_EXT_REF (kernel origin)", (ctx) => {
    const { msg } = load('SPDGET_REF_REPLY', ctx.skip, 'kernel');
    expect(msg).toMatchObject({ type: K.SADB_X_SPDGET, reserved: 1, seq: 2, pid: 999 });
    expect(ext(msg, K.SADB_X_EXT_POLICY)).toMatchObject({ id: 0x41, priority: 2 });
    expect(ext(msg, K.SADB_X_EXT_REF)).toEqual({
      type: K.SADB_X_EXT_REF,
      refType: 1,
      refTypeExt: 0,
      mpi: 0x0102030405060708n,
    });
  });

  it("ADD with this project's numbers: ChaCha20-Poly1305 (250), the ESN flag, SADB_X_EXT_SA_REPLAY", (ctx) => {
    const { msg } = load('ADD_PRIVATE', ctx.skip, 'user');
    expect(ext(msg, K.SADB_EXT_SA)).toMatchObject({
      spi: 0x0c0a0002,
      replay: 255,
      encrypt: K.SADB_X_EALG_CHACHA20_POLY1305,
      flags: K.SADB_X_SAFLAGS_ESN,
    });
    expect(ext(msg, K.SADB_EXT_KEY_ENCRYPT).bits).toBe(288);
    expect(ext(msg, K.SADB_X_EXT_SA_REPLAY)).toEqual({ type: K.SADB_X_EXT_SA_REPLAY, replay: 2048 });
    expect(toJson(msg).extensions?.at(-1)).toEqual({ type: 'X_SA_REPLAY', replay: 2048 });
  });

  it('UPDATE with identities, sensitivity, proxy address and kmprivate', (ctx) => {
    const { msg } = load('UPDATE_EXTRAS', ctx.skip, 'user');
    expect(msg.satype).toBe(K.SADB_SATYPE_AH);
    const proxy = ext(msg, K.SADB_EXT_ADDRESS_PROXY);
    expect(proxy).toMatchObject({ proto: K.IPPROTO_TCP, prefixlen: 64 });
    expect(proxy.address.port).toBe(80);
    const src = ext(msg, K.SADB_EXT_IDENTITY_SRC);
    expect(src).toMatchObject({ identType: K.SADB_IDENTTYPE_FQDN, id: 7n });
    expect(toJson(msg).extensions?.find((e) => e.type === 'IDENTITY_DST')).toMatchObject({
      identity: 'user@example.org',
    });
    const sens = ext(msg, K.SADB_EXT_SENSITIVITY);
    expect(sens).toMatchObject({ dpd: 3, sensLevel: 4, integLevel: 5 });
    expect(toHex(sens.sensBitmap)).toBe('f000000000000000');
    expect(toHex(sens.integBitmap)).toBe('0f00000000000000');
    expect(new TextDecoder().decode(ext(msg, K.SADB_X_EXT_KMPRIVATE).data)).toBe('kmdata!\0');
  });

  it('the kernel ACQUIRE with a proposal, and the extended ACQUIRE with SADB_X_EXT_REF', (ctx) => {
    const { msg } = load('ACQUIRE_PROPOSAL', ctx.skip, 'kernel');
    expect(msg).toMatchObject({ type: K.SADB_ACQUIRE, seq: 7, satype: K.SADB_SATYPE_ESP });
    expect(ext(msg, K.SADB_X_EXT_POLICY)).toMatchObject({
      id: 9,
      priority: 10,
      dir: K.IPSEC_DIR_OUTBOUND,
      requests: [],
    });
    const prop = ext(msg, K.SADB_EXT_PROPOSAL);
    expect(prop.replay).toBe(32);
    expect(prop.combs).toHaveLength(2);
    expect(prop.combs[0]).toMatchObject({
      auth: K.SADB_X_AALG_SHA2_256HMAC,
      encrypt: K.SADB_X_EALG_AESCBC,
      encryptMinbits: 128,
      encryptMaxbits: 256,
      hardAddtime: 86400n,
      softAddtime: 72000n,
      hardUsetime: 28800n,
      softUsetime: 25200n,
    });
    const ext2 = load('ACQUIRE_REF', ctx.skip, 'kernel').msg;
    expect(ext(ext2, K.SADB_X_EXT_REF)).toEqual({
      type: K.SADB_X_EXT_REF,
      refType: 2,
      refTypeExt: 0,
      mpi: 0xfedcba9876543210n,
    });
    // A kernel-only message: user space sending it would get EOPNOTSUPP from Linux.
    expect(() => decode(messages.get('ACQUIRE_REF') as Uint8Array, { origin: 'user' })).toThrow(/EOPNOTSUPP/);
  });

  it('the REGISTER reply with the supported algorithms', (ctx) => {
    const { msg } = load('REGISTER_REPLY', ctx.skip, 'kernel');
    expect(ext(msg, K.SADB_EXT_SUPPORTED_AUTH).algs).toEqual([
      { id: K.SADB_AALG_MD5HMAC, ivlen: 0, minbits: 128, maxbits: 128 },
      { id: K.SADB_AALG_SHA1HMAC, ivlen: 0, minbits: 160, maxbits: 160 },
      { id: K.SADB_X_AALG_SHA2_256HMAC, ivlen: 0, minbits: 256, maxbits: 256 },
    ]);
    expect(ext(msg, K.SADB_EXT_SUPPORTED_ENCRYPT).algs[1]).toEqual({
      id: K.SADB_X_EALG_AESCBC,
      ivlen: 16,
      minbits: 128,
      maxbits: 256,
    });
  });

  it('GETSPI with SPIRANGE, DUMP with FILTER, NAT-T new mapping, and an SPD dump reply with a refcount', (ctx) => {
    const getspi = load('GETSPI_RANGE', ctx.skip, 'user').msg;
    expect(ext(getspi, K.SADB_EXT_SPIRANGE)).toMatchObject({ min: 0x100, max: 0x0fffffff });
    const dump = load('DUMP_FILTER', ctx.skip, 'user').msg;
    const f = ext(dump, K.SADB_X_EXT_FILTER);
    expect(f).toMatchObject({ family: K.AF_INET6, splen: 32, dplen: 48 });
    expect(formatIp(f.daddr)).toBe('2001:db8:1::');
    const nat = load('NAT_T_NEW_MAPPING', ctx.skip, 'kernel').msg;
    expect(nat.extensions.map((e) => e.type)).toEqual([
      K.SADB_EXT_SA,
      K.SADB_EXT_ADDRESS_SRC,
      K.SADB_X_EXT_NAT_T_SPORT,
      K.SADB_EXT_ADDRESS_DST,
      K.SADB_X_EXT_NAT_T_DPORT,
    ]);
    expect(ext(nat, K.SADB_X_EXT_NAT_T_DPORT).port).toBe(61234);
    const spd = load('SPDDUMP_REPLY', ctx.skip, 'kernel').msg;
    expect(spd.reserved).toBe(2);
    expect(ext(spd, K.SADB_EXT_LIFETIME_CURRENT).addtime).toBe(1700000000n);
    // The refcount in sadb_msg_reserved is what user space may not send.
    expect(() => decode(messages.get('SPDDUMP_REPLY') as Uint8Array, { origin: 'user' })).toThrow(
      'EINVAL at byte 6',
    );
  });
});
