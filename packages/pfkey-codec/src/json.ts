/**
 * @module
 * The JSON form of a PF_KEY message, for `mip6sec pfkey decode/encode` and for messages written by hand.
 * `toJson` gives a plain object (JSON.stringify-able) and `fromJson` reads one back;
 * `encode(fromJson(toJson(m)))` equals `encode(m)`. The schema is in the README; in short:
 *
 * - Names instead of numbers where the headers name them, without the family prefix (`X_MIGRATE`, `ESP`,
 *   `X_POLICY`, `TUNNEL`, `UNIQUE`, `X_AESCBC`); input also takes the full C name, any case, or the number.
 *   IP protocol fields stay numbers on output and take `esp`, `udp`, `mh`, `any`... on input.
 * - u64 fields are decimal strings on output (always, so the type never depends on the value); input takes a
 *   string (decimal or 0x hex), a safe integer or a bigint. SPIs and SPI ranges are `0x%08x` strings.
 * - Addresses are text (RFC 5952 for IPv6). A sockaddr is a string when its port, flowinfo and scope id are
 *   0, else `{ "address", "port", "flowinfo", "scopeId" }` with zeros left out. Address extensions carry
 *   `address`, `prefixlen`, `port`, `proto` flat; `address` may be written `addr/len`.
 * - Bytes are lower-case hex strings (`key`, `data`...); identities and security contexts are text when the
 *   bytes are exactly that text (identity: NUL-terminated, zero-padded), else hex (`data`, `contextHex`).
 * - On input, fields at their default may be left out: header fields and reserved values are 0, lengths are
 *   computed, key `bits` defaults to 8 x key bytes, `prefixlen` to the full length, X_POLICY `policyType` to
 *   IPSEC, an ipsecrequest `level` to UNIQUE when `reqid` is set and REQUIRE otherwise. Unknown fields are an
 *   error, so typos do not pass silently.
 */

import { prefix, sockaddr } from './address-text.js';
import * as K from './constants.js';
import { errnoName, errnoValue } from './errno.js';
import { inputError } from './input-error.js';
import { formatIp, fromHex, parseIp, toHex } from './ip-address.js';
import type { IpsecRequest, PfkeyExtension, PfkeyMessage, SadbAlg, SadbComb, Sockaddr } from './model.js';
import {
  AUTH_ALGS,
  COMP_ALGS,
  ENCRYPT_ALGS,
  EXT_TYPES,
  IDENT_TYPES,
  IP_PROTOCOLS,
  IPSEC_DIRS,
  IPSEC_LEVELS,
  IPSEC_MODES,
  IPSEC_POLICIES,
  MSG_TYPES,
  type NameTable,
  SA_STATES,
  SATYPES,
} from './names.js';

/** A JSON value as toJson produces and fromJson reads. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The JSON form of one extension: its `type` name (or number for unknown types) and its fields. */
export interface PfkeyExtensionJson {
  type: string | number;
  [field: string]: JsonValue;
}

/** The JSON form of a message. */
export interface PfkeyJson {
  type: string | number;
  satype?: string | number;
  errno?: string | number;
  seq?: number;
  pid?: number;
  reserved?: number;
  extensions?: PfkeyExtensionJson[];
  [field: string]: JsonValue | undefined;
}

// ------------------------------------------------------------------------------------------- model -> JSON

function nameOr(table: NameTable, v: number): string | number {
  return table.short(v) ?? v;
}

function spiText(v: number): string {
  return `0x${v.toString(16).padStart(8, '0')}`;
}

function sockaddrJson(sa: Sockaddr): JsonValue {
  const address = formatIp(sa.addr);
  const flowinfo = sa.family === K.AF_INET6 ? (sa.flowinfo ?? 0) : 0;
  const scopeId = sa.family === K.AF_INET6 ? (sa.scopeId ?? 0) : 0;
  if (sa.port === 0 && flowinfo === 0 && scopeId === 0) return address;
  const o: { [k: string]: JsonValue } = { address };
  if (sa.port !== 0) o.port = sa.port;
  if (flowinfo !== 0) o.flowinfo = flowinfo;
  if (scopeId !== 0) o.scopeId = scopeId;
  return o;
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Text whose UTF-8 is exactly `bytes`, or undefined. */
function exactText(bytes: Uint8Array): string | undefined {
  try {
    const text = utf8Strict.decode(bytes);
    return sameBytes(utf8.encode(text), bytes) ? text : undefined;
  } catch {
    return undefined;
  }
}

/** Identity bytes laid out as RFC 2367 §2.3.5 says: the string, a NUL, zeros up to a multiple of 8. */
function identityBytes(text: string): Uint8Array {
  const raw = utf8.encode(text);
  const out = new Uint8Array((raw.length + 1 + 7) & ~7);
  out.set(raw);
  return out;
}

function identityText(data: Uint8Array): string | undefined {
  const nul = data.indexOf(0);
  if (nul < 0) return undefined;
  const text = exactText(data.subarray(0, nul));
  return text !== undefined && sameBytes(identityBytes(text), data) ? text : undefined;
}

function filterAddrJson(family: number, a: Uint8Array): string {
  if (family === K.AF_INET6) return formatIp(a);
  if (family === K.AF_INET && a.subarray(4).every((b) => b === 0)) return formatIp(a.subarray(0, 4));
  return toHex(a);
}

function combJson(c: SadbComb): { [k: string]: JsonValue } {
  return {
    auth: nameOr(AUTH_ALGS, c.auth),
    encrypt: nameOr(ENCRYPT_ALGS, c.encrypt),
    flags: c.flags,
    authMinbits: c.authMinbits,
    authMaxbits: c.authMaxbits,
    encryptMinbits: c.encryptMinbits,
    encryptMaxbits: c.encryptMaxbits,
    softAllocations: c.softAllocations,
    hardAllocations: c.hardAllocations,
    softBytes: String(c.softBytes),
    hardBytes: String(c.hardBytes),
    softAddtime: String(c.softAddtime),
    hardAddtime: String(c.hardAddtime),
    softUsetime: String(c.softUsetime),
    hardUsetime: String(c.hardUsetime),
  };
}

function requestJson(r: IpsecRequest): { [k: string]: JsonValue } {
  const o: { [k: string]: JsonValue } = {
    proto: r.proto,
    mode: nameOr(IPSEC_MODES, r.mode),
    level: nameOr(IPSEC_LEVELS, r.level),
    reqid: r.reqid,
  };
  if (r.src !== undefined) o.src = sockaddrJson(r.src);
  if (r.dst !== undefined) o.dst = sockaddrJson(r.dst);
  return o;
}

function extJson(e: PfkeyExtension, satype: number): PfkeyExtensionJson {
  if (e.type === K.UNKNOWN_EXTENSION) return { type: e.exttype, data: toHex(e.data) };
  const type = EXT_TYPES.short(e.type) as string;
  switch (e.type) {
    case K.SADB_EXT_SA:
      return {
        type,
        spi: spiText(e.spi),
        replay: e.replay,
        state: nameOr(SA_STATES, e.state),
        auth: nameOr(AUTH_ALGS, e.auth),
        encrypt: nameOr(satype === K.SADB_X_SATYPE_IPCOMP ? COMP_ALGS : ENCRYPT_ALGS, e.encrypt),
        flags: e.flags,
      };
    case K.SADB_EXT_LIFETIME_CURRENT:
    case K.SADB_EXT_LIFETIME_HARD:
    case K.SADB_EXT_LIFETIME_SOFT:
      return {
        type,
        allocations: e.allocations,
        bytes: String(e.bytes),
        addtime: String(e.addtime),
        usetime: String(e.usetime),
      };
    case K.SADB_EXT_ADDRESS_SRC:
    case K.SADB_EXT_ADDRESS_DST:
    case K.SADB_EXT_ADDRESS_PROXY:
    case K.SADB_X_EXT_NAT_T_OA: {
      const a = e.address;
      const o: PfkeyExtensionJson = {
        type,
        address: formatIp(a.addr),
        prefixlen: e.prefixlen,
        port: a.port,
        proto: e.proto,
      };
      if (a.family === K.AF_INET6 && (a.flowinfo ?? 0) !== 0) o.flowinfo = a.flowinfo ?? 0;
      if (a.family === K.AF_INET6 && (a.scopeId ?? 0) !== 0) o.scopeId = a.scopeId ?? 0;
      return o;
    }
    case K.SADB_EXT_KEY_AUTH:
    case K.SADB_EXT_KEY_ENCRYPT:
      return { type, bits: e.bits, key: toHex(e.key) };
    case K.SADB_EXT_IDENTITY_SRC:
    case K.SADB_EXT_IDENTITY_DST: {
      const o: PfkeyExtensionJson = { type, identType: nameOr(IDENT_TYPES, e.identType), id: String(e.id) };
      const text = identityText(e.data);
      if (text !== undefined) o.identity = text;
      else if (e.data.length > 0) o.data = toHex(e.data);
      return o;
    }
    case K.SADB_EXT_SENSITIVITY:
      return {
        type,
        dpd: e.dpd,
        sensLevel: e.sensLevel,
        sensBitmap: toHex(e.sensBitmap),
        integLevel: e.integLevel,
        integBitmap: toHex(e.integBitmap),
      };
    case K.SADB_EXT_PROPOSAL:
      return { type, replay: e.replay, combs: e.combs.map(combJson) };
    case K.SADB_EXT_SUPPORTED_AUTH:
    case K.SADB_EXT_SUPPORTED_ENCRYPT: {
      const names = e.type === K.SADB_EXT_SUPPORTED_AUTH ? AUTH_ALGS : ENCRYPT_ALGS;
      return {
        type,
        algs: e.algs.map((a) => ({
          id: nameOr(names, a.id),
          ivlen: a.ivlen,
          minbits: a.minbits,
          maxbits: a.maxbits,
        })),
      };
    }
    case K.SADB_EXT_SPIRANGE:
      return { type, min: spiText(e.min), max: spiText(e.max) };
    case K.SADB_X_EXT_KMPRIVATE:
      return { type, data: toHex(e.data) };
    case K.SADB_X_EXT_POLICY:
      return {
        type,
        policyType: nameOr(IPSEC_POLICIES, e.policyType),
        dir: nameOr(IPSEC_DIRS, e.dir),
        id: e.id,
        priority: e.priority,
        requests: e.requests.map(requestJson),
      };
    case K.SADB_X_EXT_SA2:
      return { type, mode: nameOr(IPSEC_MODES, e.mode), sequence: e.sequence, reqid: e.reqid };
    case K.SADB_X_EXT_NAT_T_TYPE:
      return { type, natType: e.natType };
    case K.SADB_X_EXT_NAT_T_SPORT:
    case K.SADB_X_EXT_NAT_T_DPORT:
      return { type, port: e.port };
    case K.SADB_X_EXT_SEC_CTX: {
      const text = exactText(e.context);
      return text !== undefined
        ? { type, ctxAlg: e.ctxAlg, ctxDoi: e.ctxDoi, context: text }
        : { type, ctxAlg: e.ctxAlg, ctxDoi: e.ctxDoi, contextHex: toHex(e.context) };
    }
    case K.SADB_X_EXT_KMADDRESS: {
      const o: PfkeyExtensionJson = { type, local: sockaddrJson(e.local), remote: sockaddrJson(e.remote) };
      if (e.reserved !== 0) o.reserved = e.reserved;
      return o;
    }
    case K.SADB_X_EXT_FILTER:
      return {
        type,
        family: e.family,
        saddr: filterAddrJson(e.family, e.saddr),
        daddr: filterAddrJson(e.family, e.daddr),
        splen: e.splen,
        dplen: e.dplen,
      };
    case K.SADB_X_EXT_REF:
      return { type, refType: e.refType, refTypeExt: e.refTypeExt, mpi: String(e.mpi) };
    case K.SADB_X_EXT_SA_REPLAY:
      return { type, replay: e.replay };
  }
}

/** The JSON form of a message (a plain object; `JSON.stringify` it for text). */
export function toJson(msg: PfkeyMessage): PfkeyJson {
  const out: PfkeyJson = {
    type: nameOr(MSG_TYPES, msg.type),
    satype: nameOr(SATYPES, msg.satype),
    errno: msg.errno === 0 ? 0 : (errnoName(msg.errno) ?? msg.errno),
    seq: msg.seq,
    pid: msg.pid,
  };
  if (msg.reserved !== 0) out.reserved = msg.reserved;
  out.extensions = msg.extensions.map((e) => extJson(e, msg.satype));
  return out;
}

// ------------------------------------------------------------------------------------------- JSON -> model

/** An input object whose fields are read one by one; `done()` refuses fields nobody read. */
class Fields {
  private readonly used = new Set<string>();
  readonly o: { readonly [k: string]: unknown };
  readonly path: string;

  constructor(value: unknown, path: string) {
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      inputError(path, 'expected an object');
    this.o = value as { [k: string]: unknown };
    this.path = path;
  }

  at(key: string): string {
    return `${this.path}.${key}`;
  }

  has(key: string): boolean {
    return this.o[key] !== undefined;
  }

  get(key: string): unknown {
    this.used.add(key);
    return this.o[key];
  }

  done(): void {
    for (const k of Object.keys(this.o)) {
      if (!this.used.has(k) && this.o[k] !== undefined)
        inputError(this.path, `unknown field ${JSON.stringify(k)}`);
    }
  }

  /** Unsigned integer (number, or decimal/0x string) up to `max`; `def` when absent (undefined = required). */
  int(key: string, max: number, def?: number): number {
    const v = this.get(key);
    if (v === undefined) {
      if (def === undefined) inputError(this.at(key), 'is required');
      return def;
    }
    return intValue(v, max, this.at(key));
  }

  u64(key: string, def?: bigint): bigint {
    const v = this.get(key);
    if (v === undefined) {
      if (def === undefined) inputError(this.at(key), 'is required');
      return def;
    }
    return u64Value(v, this.at(key));
  }

  named(key: string, table: NameTable, max: number, def?: number): number {
    const v = this.get(key);
    if (v === undefined) {
      if (def === undefined) inputError(this.at(key), 'is required');
      return def;
    }
    return namedValue(v, table, max, this.at(key));
  }

  bytes(key: string, def?: Uint8Array): Uint8Array {
    const v = this.get(key);
    if (v === undefined) {
      if (def === undefined) inputError(this.at(key), 'is required');
      return def;
    }
    return hexValue(v, this.at(key));
  }

  array(key: string): unknown[] {
    const v = this.get(key);
    if (v === undefined) return [];
    if (!Array.isArray(v)) inputError(this.at(key), 'expected an array');
    return v;
  }
}

function intValue(v: unknown, max: number, path: string): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^(0x[0-9a-fA-F]+|[0-9]+)$/.test(v)) n = Number(v);
  else return inputError(path, `expected an integer, got ${JSON.stringify(v)}`);
  if (!Number.isInteger(n) || n < 0 || n > max)
    inputError(path, `${JSON.stringify(v)} is not an integer in 0..${max}`);
  return n;
}

const U64_MAX = (1n << 64n) - 1n;

function u64Value(v: unknown, path: string): bigint {
  let n: bigint;
  if (typeof v === 'bigint') n = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) n = BigInt(v);
  else if (typeof v === 'string' && /^(0x[0-9a-fA-F]+|[0-9]+)$/.test(v)) n = BigInt(v);
  else return inputError(path, `expected a u64 as a decimal string, got ${JSON.stringify(String(v))}`);
  if (n < 0n || n > U64_MAX) inputError(path, `${String(v)} is outside 0..2^64-1`);
  return n;
}

function namedValue(v: unknown, table: NameTable, max: number, path: string): number {
  if (typeof v === 'string' && !/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(v)) {
    const n = table.value(v);
    if (n === undefined) {
      const known = table
        .entries()
        .map(([, s]) => s)
        .join(', ');
      inputError(path, `unknown name ${JSON.stringify(v)} (known: ${known})`);
    }
    return n;
  }
  return intValue(v, max, path);
}

function hexValue(v: unknown, path: string): Uint8Array {
  const b = typeof v === 'string' ? fromHex(v) : undefined;
  if (!b) inputError(path, 'expected a hex string');
  return b;
}

function sockaddrValue(v: unknown, path: string): Sockaddr {
  if (typeof v === 'string') return sockaddr(v, 0, path);
  const f = new Fields(v, path);
  const text = f.get('address');
  if (typeof text !== 'string') inputError(f.at('address'), 'is required (an address string)');
  const sa = sockaddr(text, f.int('port', 0xffff, 0), f.at('address'));
  if (sa.family === K.AF_INET6) {
    sa.flowinfo = f.int('flowinfo', 0xffffffff, 0);
    sa.scopeId = f.int('scopeId', 0xffffffff, 0);
  }
  f.done();
  return sa;
}

function filterAddrValue(v: unknown, path: string): Uint8Array {
  if (typeof v !== 'string') inputError(path, 'expected an address or 32 hex digits');
  if (v.includes(':') || v.includes('.')) {
    const a = parseIp(v);
    if (!a) inputError(path, `${JSON.stringify(v)} is not an IPv4 or IPv6 address`);
    const out = new Uint8Array(16);
    out.set(a);
    return out;
  }
  const b = fromHex(v);
  if (b?.length !== 16) return inputError(path, 'expected an address or 32 hex digits');
  return b;
}

function combValue(v: unknown, path: string): SadbComb {
  const f = new Fields(v, path);
  const c: SadbComb = {
    auth: f.named('auth', AUTH_ALGS, 0xff, 0),
    encrypt: f.named('encrypt', ENCRYPT_ALGS, 0xff, 0),
    flags: f.int('flags', 0xffff, 0),
    authMinbits: f.int('authMinbits', 0xffff, 0),
    authMaxbits: f.int('authMaxbits', 0xffff, 0),
    encryptMinbits: f.int('encryptMinbits', 0xffff, 0),
    encryptMaxbits: f.int('encryptMaxbits', 0xffff, 0),
    softAllocations: f.int('softAllocations', 0xffffffff, 0),
    hardAllocations: f.int('hardAllocations', 0xffffffff, 0),
    softBytes: f.u64('softBytes', 0n),
    hardBytes: f.u64('hardBytes', 0n),
    softAddtime: f.u64('softAddtime', 0n),
    hardAddtime: f.u64('hardAddtime', 0n),
    softUsetime: f.u64('softUsetime', 0n),
    hardUsetime: f.u64('hardUsetime', 0n),
  };
  f.done();
  return c;
}

function requestValue(v: unknown, path: string): IpsecRequest {
  const f = new Fields(v, path);
  const reqid = f.int('reqid', 0xffffffff, 0);
  const rq: IpsecRequest = {
    proto: f.named('proto', IP_PROTOCOLS, 0xffff),
    mode: f.named('mode', IPSEC_MODES, 0xff),
    level: f.named('level', IPSEC_LEVELS, 0xff, reqid !== 0 ? K.IPSEC_LEVEL_UNIQUE : K.IPSEC_LEVEL_REQUIRE),
    reqid,
  };
  const src = f.get('src');
  const dst = f.get('dst');
  if ((src === undefined) !== (dst === undefined)) inputError(path, 'give both src and dst, or neither');
  if (src !== undefined) {
    rq.src = sockaddrValue(src, f.at('src'));
    rq.dst = sockaddrValue(dst, f.at('dst'));
  }
  f.done();
  return rq;
}

function extTypeValue(v: unknown, path: string): number {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 1 || v > 0xffff)
      inputError(path, `extension type ${v} is not in 1..65535`);
    return v;
  }
  if (typeof v !== 'string')
    return inputError(path, 'is required (an extension name such as "SA" or "X_POLICY")');
  const t = EXT_TYPES.value(v);
  if (t === undefined) {
    if (/^[0-9]+$/.test(v)) return extTypeValue(Number(v), path);
    inputError(path, `unknown extension ${JSON.stringify(v)}`);
  }
  return t;
}

function extValue(v: unknown, path: string, satype: number): PfkeyExtension {
  const f = new Fields(v, path);
  const type = extTypeValue(f.get('type'), f.at('type'));
  const e = extFields(f, type, satype);
  f.done();
  return e;
}

function extFields(f: Fields, type: number, satype: number): PfkeyExtension {
  switch (type) {
    case K.SADB_EXT_SA:
      return {
        type,
        spi: f.int('spi', 0xffffffff),
        replay: f.int('replay', 0xff, 0),
        state: f.named('state', SA_STATES, 0xff, 0),
        auth: f.named('auth', AUTH_ALGS, 0xff, 0),
        encrypt: f.named('encrypt', satype === K.SADB_X_SATYPE_IPCOMP ? COMP_ALGS : ENCRYPT_ALGS, 0xff, 0),
        flags: f.int('flags', 0xffffffff, 0),
      };
    case K.SADB_EXT_LIFETIME_CURRENT:
    case K.SADB_EXT_LIFETIME_HARD:
    case K.SADB_EXT_LIFETIME_SOFT:
      return {
        type,
        allocations: f.int('allocations', 0xffffffff, 0),
        bytes: f.u64('bytes', 0n),
        addtime: f.u64('addtime', 0n),
        usetime: f.u64('usetime', 0n),
      };
    case K.SADB_EXT_ADDRESS_SRC:
    case K.SADB_EXT_ADDRESS_DST:
    case K.SADB_EXT_ADDRESS_PROXY:
    case K.SADB_X_EXT_NAT_T_OA: {
      const text = f.get('address');
      const p = prefix(text as string, f.at('address'));
      const cidr = typeof text === 'string' && text.includes('/');
      if (cidr && f.has('prefixlen') && f.int('prefixlen', 0xff) !== p.prefixlen) {
        inputError(f.at('prefixlen'), 'differs from the prefix length in address');
      }
      const address = p.address;
      address.port = f.int('port', 0xffff, 0);
      if (address.family === K.AF_INET6) {
        address.flowinfo = f.int('flowinfo', 0xffffffff, 0);
        address.scopeId = f.int('scopeId', 0xffffffff, 0);
      }
      return {
        type,
        proto: f.named('proto', IP_PROTOCOLS, 0xff, 0),
        prefixlen: f.int('prefixlen', 0xff, p.prefixlen),
        address,
      };
    }
    case K.SADB_EXT_KEY_AUTH:
    case K.SADB_EXT_KEY_ENCRYPT: {
      const key = f.bytes('key');
      return { type, bits: f.int('bits', 0xffff, key.length * 8), key };
    }
    case K.SADB_EXT_IDENTITY_SRC:
    case K.SADB_EXT_IDENTITY_DST: {
      const identType = f.named('identType', IDENT_TYPES, 0xffff, 0);
      const id = f.u64('id', 0n);
      const text = f.get('identity');
      if (text !== undefined && f.has('data')) inputError(f.path, 'give identity or data, not both');
      if (text !== undefined && typeof text !== 'string') inputError(f.at('identity'), 'expected a string');
      const data = text !== undefined ? identityBytes(text as string) : f.bytes('data', new Uint8Array(0));
      return { type, identType, id, data };
    }
    case K.SADB_EXT_SENSITIVITY:
      return {
        type,
        dpd: f.int('dpd', 0xffffffff, 0),
        sensLevel: f.int('sensLevel', 0xff, 0),
        sensBitmap: f.bytes('sensBitmap', new Uint8Array(0)),
        integLevel: f.int('integLevel', 0xff, 0),
        integBitmap: f.bytes('integBitmap', new Uint8Array(0)),
      };
    case K.SADB_EXT_PROPOSAL:
      return {
        type,
        replay: f.int('replay', 0xff, 0),
        combs: f.array('combs').map((c, i) => combValue(c, `${f.at('combs')}[${i}]`)),
      };
    case K.SADB_EXT_SUPPORTED_AUTH:
    case K.SADB_EXT_SUPPORTED_ENCRYPT: {
      const names = type === K.SADB_EXT_SUPPORTED_AUTH ? AUTH_ALGS : ENCRYPT_ALGS;
      const algs = f.array('algs').map((a, i): SadbAlg => {
        const g = new Fields(a, `${f.at('algs')}[${i}]`);
        const alg = {
          id: g.named('id', names, 0xff),
          ivlen: g.int('ivlen', 0xff, 0),
          minbits: g.int('minbits', 0xffff, 0),
          maxbits: g.int('maxbits', 0xffff, 0),
        };
        g.done();
        return alg;
      });
      return { type, algs };
    }
    case K.SADB_EXT_SPIRANGE:
      return { type, min: f.int('min', 0xffffffff), max: f.int('max', 0xffffffff) };
    case K.SADB_X_EXT_KMPRIVATE:
      return { type, data: f.bytes('data', new Uint8Array(0)) };
    case K.SADB_X_EXT_POLICY:
      return {
        type,
        policyType: f.named('policyType', IPSEC_POLICIES, 0xffff, K.IPSEC_POLICY_IPSEC),
        dir: f.named('dir', IPSEC_DIRS, 0xff),
        id: f.int('id', 0xffffffff, 0),
        priority: f.int('priority', 0xffffffff, 0),
        requests: f.array('requests').map((r, i) => requestValue(r, `${f.at('requests')}[${i}]`)),
      };
    case K.SADB_X_EXT_SA2:
      return {
        type,
        mode: f.named('mode', IPSEC_MODES, 0xff, 0),
        sequence: f.int('sequence', 0xffffffff, 0),
        reqid: f.int('reqid', 0xffffffff, 0),
      };
    case K.SADB_X_EXT_NAT_T_TYPE:
      return { type, natType: f.int('natType', 0xff) };
    case K.SADB_X_EXT_NAT_T_SPORT:
    case K.SADB_X_EXT_NAT_T_DPORT:
      return { type, port: f.int('port', 0xffff) };
    case K.SADB_X_EXT_SEC_CTX: {
      const text = f.get('context');
      if (text !== undefined && f.has('contextHex'))
        inputError(f.path, 'give context or contextHex, not both');
      if (text !== undefined && typeof text !== 'string') inputError(f.at('context'), 'expected a string');
      const context = text !== undefined ? utf8.encode(text as string) : f.bytes('contextHex');
      return { type, ctxAlg: f.int('ctxAlg', 0xff, 0), ctxDoi: f.int('ctxDoi', 0xff, 0), context };
    }
    case K.SADB_X_EXT_KMADDRESS:
      return {
        type,
        reserved: f.int('reserved', 0xffffffff, 0),
        local: sockaddrValue(f.get('local'), f.at('local')),
        remote: sockaddrValue(f.get('remote'), f.at('remote')),
      };
    case K.SADB_X_EXT_FILTER: {
      const saddrText = f.get('saddr');
      const saddr = filterAddrValue(saddrText, f.at('saddr'));
      const daddr = filterAddrValue(f.get('daddr'), f.at('daddr'));
      const guess = typeof saddrText === 'string' && saddrText.includes('.') ? K.AF_INET : K.AF_INET6;
      return {
        type,
        family: f.int('family', 0xffff, guess),
        saddr,
        daddr,
        splen: f.int('splen', 0xff, 0),
        dplen: f.int('dplen', 0xff, 0),
      };
    }
    case K.SADB_X_EXT_REF:
      return {
        type,
        refType: f.int('refType', 0xff, 0),
        refTypeExt: f.int('refTypeExt', 0xffff, 0),
        mpi: f.u64('mpi'),
      };
    case K.SADB_X_EXT_SA_REPLAY:
      return { type, replay: f.int('replay', 0xffffffff) };
    default:
      if (type <= K.SADB_EXT_MAX_LINUX) return inputError(f.at('type'), `extension type ${type} is reserved`);
      return { type: K.UNKNOWN_EXTENSION, exttype: type, data: f.bytes('data', new Uint8Array(0)) };
  }
}

/** Reads the JSON form (an object as JSON.parse gives it) into a message. Throws PfkeyInputError. */
export function fromJson(json: unknown): PfkeyMessage {
  const f = new Fields(json, '$');
  const version = f.get('version');
  if (version !== undefined && version !== K.PF_KEY_V2)
    inputError(f.at('version'), 'must be 2 (PF_KEY_V2) if given');
  const typeValue = f.get('type');
  if (typeValue === undefined) inputError(f.at('type'), 'is required (a message type such as "X_MIGRATE")');
  const type = namedValue(typeValue, MSG_TYPES, 0xff, f.at('type'));
  const satype = f.named('satype', SATYPES, 0xff, 0);
  const errnoField = f.get('errno');
  let errno = 0;
  if (typeof errnoField === 'string' && errnoValue(errnoField) !== undefined)
    errno = errnoValue(errnoField) as number;
  else if (errnoField !== undefined) errno = intValue(errnoField, 0xff, f.at('errno'));
  const msg: PfkeyMessage = {
    type,
    errno,
    satype,
    reserved: f.int('reserved', 0xffff, 0),
    seq: f.int('seq', 0xffffffff, 0),
    pid: f.int('pid', 0xffffffff, 0),
    extensions: f.array('extensions').map((e, i) => extValue(e, `${f.at('extensions')}[${i}]`, satype)),
  };
  f.done();
  return msg;
}
