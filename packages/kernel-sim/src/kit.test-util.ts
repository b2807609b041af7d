/**
 * Test helpers: kernels on a virtual clock, PF_KEY messages written and read as the codec's model, and
 * key material for every suite.
 */
import { VirtualClock } from '@mip6sec/core';
import {
  buildAdd,
  buildSpdAdd,
  decode,
  encode,
  IPPROTO_ESP,
  IPSEC_DIR_INBOUND,
  IPSEC_DIR_OUTBOUND,
  IPSEC_MODE_TRANSPORT,
  IPSEC_MODE_TUNNEL,
  type PfkeyMessage,
  type PfkeyMessageInit,
  SADB_AALG_NONE,
  SADB_AALG_SHA1HMAC,
  SADB_EALG_NULL,
  SADB_REGISTER,
  SADB_SATYPE_ESP,
  SADB_X_AALG_AES_XCBC_MAC,
  SADB_X_AALG_SHA2_256HMAC,
  SADB_X_AALG_SHA2_384HMAC,
  SADB_X_AALG_SHA2_512HMAC,
  SADB_X_EALG_AES_GCM_ICV16,
  SADB_X_EALG_AESCBC,
  SADB_X_EALG_CHACHA20_POLY1305,
  type SpdAddSpec,
} from '@mip6sec/pfkey-codec';
import { PfkeyKernel, type PfkeyKernelOptions } from './pfkey-kernel.js';
import type { PfkeySocket } from './pfkey-socket.js';

export function newKernel(opts: Partial<PfkeyKernelOptions> = {}): {
  kernel: PfkeyKernel;
  clock: VirtualClock;
} {
  const clock = (opts.clock as VirtualClock | undefined) ?? new VirtualClock();
  return { kernel: new PfkeyKernel({ ...opts, clock }), clock };
}

/** Writes a message (encoded as user space would) and returns the write's errno name or 0. */
export function send(sock: PfkeySocket, msg: PfkeyMessageInit): string | 0 {
  try {
    sock.write(encode(msg, { origin: 'user' }));
    return 0;
  } catch (e) {
    return (e as { code: string }).code;
  }
}

/** Every queued message of a socket, decoded. */
export function inbox(sock: PfkeySocket): PfkeyMessage[] {
  return sock.readAll().map((b) => decode(b, { origin: 'kernel' }));
}

export function register(sock: PfkeySocket, satype = SADB_SATYPE_ESP): void {
  send(sock, { type: SADB_REGISTER, satype });
  sock.readAll();
}

export function spdAdd(spec: SpdAddSpec): PfkeyMessageInit {
  return buildSpdAdd(spec);
}

export const HOA = '2001:db8:aaaa::100';
export const HA = '2001:db8:aaaa::1';
export const COA1 = '2001:db8:cccc::5';
export const COA2 = '2001:db8:dddd::5';

/** An ESP tunnel policy out of the home address through the HA, as the MN installs it. */
export function tunnelPolicy(coa: string, reqid = 0x42, dir = IPSEC_DIR_OUTBOUND): PfkeyMessageInit {
  const out = dir === IPSEC_DIR_OUTBOUND;
  return spdAdd({
    selector: out ? { src: HOA, dst: '::/0' } : { src: '::/0', dst: HOA },
    dir,
    templates: [
      { proto: IPPROTO_ESP, mode: IPSEC_MODE_TUNNEL, reqid, src: out ? coa : HA, dst: out ? HA : coa },
    ],
  });
}

export function transportPolicy(
  src: string,
  dst: string,
  reqid = 0x10,
  dir = IPSEC_DIR_OUTBOUND,
  proto?: number,
): PfkeyMessageInit {
  return spdAdd({
    selector: { src, dst, ...(proto !== undefined ? { proto } : {}) },
    dir,
    templates: [{ proto: IPPROTO_ESP, mode: IPSEC_MODE_TRANSPORT, reqid }],
  });
}

export { IPSEC_DIR_INBOUND, IPSEC_DIR_OUTBOUND };

export interface Suite {
  readonly name: string;
  readonly encrypt: { alg: number; key: Uint8Array };
  readonly auth?: { alg: number; key: Uint8Array };
}

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

export const SUITES: readonly Suite[] = [
  { name: 'aes-gcm-16 (128)', encrypt: { alg: SADB_X_EALG_AES_GCM_ICV16, key: bytes(20, 1) } },
  { name: 'aes-gcm-16 (256)', encrypt: { alg: SADB_X_EALG_AES_GCM_ICV16, key: bytes(36, 2) } },
  { name: 'chacha20-poly1305', encrypt: { alg: SADB_X_EALG_CHACHA20_POLY1305, key: bytes(36, 3) } },
  {
    name: 'aes-cbc + hmac-sha1-96',
    encrypt: { alg: SADB_X_EALG_AESCBC, key: bytes(16, 4) },
    auth: { alg: SADB_AALG_SHA1HMAC, key: bytes(20, 5) },
  },
  {
    name: 'aes-cbc + hmac-sha2-256-128',
    encrypt: { alg: SADB_X_EALG_AESCBC, key: bytes(32, 6) },
    auth: { alg: SADB_X_AALG_SHA2_256HMAC, key: bytes(32, 7) },
  },
  {
    name: 'aes-cbc + hmac-sha2-384-192',
    encrypt: { alg: SADB_X_EALG_AESCBC, key: bytes(24, 8) },
    auth: { alg: SADB_X_AALG_SHA2_384HMAC, key: bytes(48, 9) },
  },
  {
    name: 'aes-cbc + hmac-sha2-512-256',
    encrypt: { alg: SADB_X_EALG_AESCBC, key: bytes(16, 10) },
    auth: { alg: SADB_X_AALG_SHA2_512HMAC, key: bytes(64, 11) },
  },
  {
    name: 'aes-cbc + aes-xcbc-96',
    encrypt: { alg: SADB_X_EALG_AESCBC, key: bytes(16, 12) },
    auth: { alg: SADB_X_AALG_AES_XCBC_MAC, key: bytes(16, 13) },
  },
  {
    name: 'null + hmac-sha2-256-128',
    encrypt: { alg: SADB_EALG_NULL, key: new Uint8Array(0) },
    auth: { alg: SADB_X_AALG_SHA2_256HMAC, key: bytes(32, 14) },
  },
];

export const GCM = SUITES[0]!;

/** SADB_ADD of an ESP SA with a suite. */
export function addSa(opts: {
  spi: number;
  src: string;
  dst: string;
  suite?: Suite;
  mode?: number;
  reqid?: number;
  replay?: number;
  flags?: number;
  update?: boolean;
  seq?: number;
  hard?: Parameters<typeof buildAdd>[0]['hard'];
  soft?: Parameters<typeof buildAdd>[0]['soft'];
}): PfkeyMessage {
  const suite = opts.suite ?? GCM;
  return buildAdd({
    satype: SADB_SATYPE_ESP,
    spi: opts.spi,
    src: opts.src,
    dst: opts.dst,
    encrypt: { alg: suite.encrypt.alg, key: suite.encrypt.key, bits: suite.encrypt.key.length * 8 },
    ...(suite.auth ? { auth: suite.auth } : {}),
    mode: opts.mode ?? IPSEC_MODE_TRANSPORT,
    reqid: opts.reqid ?? 0,
    replay: opts.replay ?? 32,
    flags: opts.flags ?? 0,
    ...(opts.update ? { update: true } : {}),
    ...(opts.seq !== undefined ? { seq: opts.seq } : {}),
    ...(opts.hard ? { hard: opts.hard } : {}),
    ...(opts.soft ? { soft: opts.soft } : {}),
  });
}

export { SADB_AALG_NONE };
