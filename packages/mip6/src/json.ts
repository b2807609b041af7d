/**
 * JSON forms of a Mobility Header message and of a whole IPv6 packet, for the CLI
 * (`mip6sec mh decode` / `mh encode`) and for logs. Byte fields are lower-case hex strings; every
 * field needed to rebuild the exact bytes is present (padding options, reserved bits, checksum),
 * and `fromJson` fills defaults for what a hand-written document leaves out (padding is then
 * inserted, and a packet's checksum computed). Unknown keys are refused, so typos surface.
 */

import {
  decodeIpv6Packet,
  type ExtensionHeader,
  encodeIpv6Packet,
  type Ipv6Option,
  type Ipv6Packet,
  looksLikeIpv6,
} from './ipv6-ext.js';
import { type BindingAck, type BindingUpdate, decodeMh, encodeMh, type MhMessage } from './mh-codec.js';
import { failAt, failPath } from './mh-error.js';
import type { MobilityOption } from './mh-options.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export function bytesToHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/**
 * Parses hex text as the CLI accepts it: an optional `0x`, digits in pairs, optionally separated by
 * whitespace or colons. Errors name the byte the bad digit would have filled.
 */
export function hexToBytes(text: string): Uint8Array {
  const clean = text.trim().replace(/^0x/i, '').replace(/[\s:]/g, '');
  const bad = /[^0-9a-fA-F]/.exec(clean);
  if (bad) failAt(bad.index >> 1, `bad hex digit ${JSON.stringify(bad[0])}`);
  if (clean.length % 2 !== 0) failAt(clean.length >> 1, 'odd number of hex digits');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

// ---- to JSON ----

function mobilityOptionToJson(o: MobilityOption): JsonObject {
  switch (o.type) {
    case 'pad1':
      return { type: 'pad1' };
    case 'padN':
      return { type: 'padN', data: bytesToHex(o.data) };
    case 'bindingRefreshAdvice':
      return { type: 'bindingRefreshAdvice', refreshInterval: o.refreshInterval };
    case 'alternateCareOfAddress':
      return { type: 'alternateCareOfAddress', address: o.address };
    case 'nonceIndices':
      return { type: 'nonceIndices', homeNonceIndex: o.homeNonceIndex, careOfNonceIndex: o.careOfNonceIndex };
    case 'bindingAuthorizationData':
      return { type: 'bindingAuthorizationData', authenticator: bytesToHex(o.authenticator) };
    case 'unknown':
      return { type: 'unknown', optionType: o.optionType, data: bytesToHex(o.data) };
  }
}

/** The JSON form of a Mobility Header message. */
export function mhToJson(m: MhMessage): JsonObject {
  const out: JsonObject = { type: m.type };
  const put = (k: string, v: Json | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  switch (m.type) {
    case 'BRR':
      break;
    case 'HoTI':
      put('homeInitCookie', bytesToHex(m.homeInitCookie));
      break;
    case 'CoTI':
      put('careOfInitCookie', bytesToHex(m.careOfInitCookie));
      break;
    case 'HoT':
      put('homeNonceIndex', m.homeNonceIndex);
      put('homeInitCookie', bytesToHex(m.homeInitCookie));
      put('homeKeygenToken', bytesToHex(m.homeKeygenToken));
      break;
    case 'CoT':
      put('careOfNonceIndex', m.careOfNonceIndex);
      put('careOfInitCookie', bytesToHex(m.careOfInitCookie));
      put('careOfKeygenToken', bytesToHex(m.careOfKeygenToken));
      break;
    case 'BU':
      put('seq', m.seq);
      put('a', m.a === true);
      put('h', m.h === true);
      put('l', m.l === true);
      put('k', m.k === true);
      put('lifetime', m.lifetime);
      break;
    case 'BA':
      put('status', m.status);
      put('k', m.k === true);
      put('seq', m.seq);
      put('lifetime', m.lifetime);
      break;
    case 'BE':
      put('status', m.status);
      put('homeAddress', m.homeAddress);
      break;
    case 'unknown':
      put('mhType', m.mhType);
      put('data', bytesToHex(m.data));
      break;
  }
  if (m.type !== 'unknown' && m.type !== 'HoT' && m.type !== 'CoT' && m.reserved) put('reserved', m.reserved);
  if (m.type !== 'unknown') put('options', (m.options ?? []).map(mobilityOptionToJson));
  put('payloadProto', m.payloadProto ?? 59);
  if (m.headerReserved) put('headerReserved', m.headerReserved);
  put('checksum', m.checksum ?? 0);
  return out;
}

function ipv6OptionToJson(o: Ipv6Option): JsonObject {
  switch (o.type) {
    case 'pad1':
      return { type: 'pad1' };
    case 'padN':
      return { type: 'padN', data: bytesToHex(o.data) };
    case 'homeAddress':
      return { type: 'homeAddress', address: o.address };
    case 'unknown':
      return { type: 'unknown', optionType: o.optionType, data: bytesToHex(o.data) };
  }
}

function extensionToJson(e: ExtensionHeader): JsonObject {
  switch (e.type) {
    case 'hopByHop':
    case 'destinationOptions':
      return { type: e.type, options: e.options.map(ipv6OptionToJson) };
    case 'routing': {
      const r: JsonObject = { type: 'routing', routingType: e.routingType, segmentsLeft: e.segmentsLeft };
      if (e.homeAddress !== undefined) r.homeAddress = e.homeAddress;
      if (e.reserved) r.reserved = e.reserved;
      if (e.data !== undefined) r.data = bytesToHex(e.data);
      return r;
    }
    case 'mobility':
      return { type: 'mobility', message: mhToJson(e.message) };
  }
}

/** The JSON form of an IPv6 packet: `{ ipv6: {…}, extensions: […], payload? }`. */
export function ipv6PacketToJson(p: Ipv6Packet): JsonObject {
  const h = p.header;
  const out: JsonObject = {
    ipv6: {
      trafficClass: h.trafficClass ?? 0,
      flowLabel: h.flowLabel ?? 0,
      hopLimit: h.hopLimit ?? 64,
      src: h.src,
      dst: h.dst,
    },
    extensions: p.extensions.map(extensionToJson),
  };
  if (p.payload) out.payload = { nextHeader: p.payload.nextHeader, data: bytesToHex(p.payload.data) };
  return out;
}

// ---- from JSON ----

function obj(v: unknown, path: string, allowed: readonly string[]): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) failPath(path, 'expected an object');
  for (const k of Object.keys(v)) {
    if (!allowed.includes(k)) failPath(`${path}.${k}`, `unexpected key (allowed: ${allowed.join(', ')})`);
  }
  return v as Record<string, unknown>;
}

function num(v: unknown, path: string, max: number, required = true): number | undefined {
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    failPath(path, `expected an integer 0..${max}, got ${JSON.stringify(v) ?? 'nothing'}`);
  }
  return v;
}

function bool(v: unknown, path: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') failPath(path, `expected true or false, got ${JSON.stringify(v)}`);
  return v;
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string') failPath(path, `expected a string, got ${JSON.stringify(v) ?? 'nothing'}`);
  return v;
}

function hex(v: unknown, path: string, required = true): Uint8Array | undefined {
  if (v === undefined && !required) return undefined;
  const s = str(v, path);
  if (!/^([0-9a-fA-F]{2})*$/.test(s)) failPath(path, 'expected hex octets (an even number of hex digits)');
  return hexToBytes(s);
}

function list(v: unknown, path: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) failPath(path, 'expected a list');
  return v;
}

function mobilityOptionFromJson(v: unknown, path: string): MobilityOption {
  const t = obj(v, path, [
    'type',
    'data',
    'refreshInterval',
    'address',
    'homeNonceIndex',
    'careOfNonceIndex',
    'authenticator',
    'optionType',
  ]);
  const only = (keys: string[]) => obj(v, path, ['type', ...keys]);
  switch (t.type) {
    case 'pad1':
      only([]);
      return { type: 'pad1' };
    case 'padN':
      only(['data']);
      return { type: 'padN', data: hex(t.data ?? '', `${path}.data`)! };
    case 'bindingRefreshAdvice':
      only(['refreshInterval']);
      return {
        type: 'bindingRefreshAdvice',
        refreshInterval: num(t.refreshInterval, `${path}.refreshInterval`, 0xffff)!,
      };
    case 'alternateCareOfAddress':
      only(['address']);
      return { type: 'alternateCareOfAddress', address: str(t.address, `${path}.address`) };
    case 'nonceIndices':
      only(['homeNonceIndex', 'careOfNonceIndex']);
      return {
        type: 'nonceIndices',
        homeNonceIndex: num(t.homeNonceIndex, `${path}.homeNonceIndex`, 0xffff)!,
        careOfNonceIndex: num(t.careOfNonceIndex, `${path}.careOfNonceIndex`, 0xffff)!,
      };
    case 'bindingAuthorizationData':
      only(['authenticator']);
      return {
        type: 'bindingAuthorizationData',
        authenticator: hex(t.authenticator, `${path}.authenticator`)!,
      };
    case 'unknown':
      only(['optionType', 'data']);
      return {
        type: 'unknown',
        optionType: num(t.optionType, `${path}.optionType`, 255)!,
        data: hex(t.data ?? '', `${path}.data`)!,
      };
    default:
      return failPath(`${path}.type`, `unknown mobility option ${JSON.stringify(t.type)}`);
  }
}

const COMMON_KEYS = ['type', 'payloadProto', 'headerReserved', 'checksum'];

/**
 * Rebuilds a message from its JSON form and checks it encodes (so errors surface here, with
 * their JSON path, rather than later).
 */
export function mhFromJson(json: unknown, path = '$'): MhMessage {
  const keysOf: Record<string, string[]> = {
    BRR: ['reserved', 'options'],
    HoTI: ['reserved', 'homeInitCookie', 'options'],
    CoTI: ['reserved', 'careOfInitCookie', 'options'],
    HoT: ['homeNonceIndex', 'homeInitCookie', 'homeKeygenToken', 'options'],
    CoT: ['careOfNonceIndex', 'careOfInitCookie', 'careOfKeygenToken', 'options'],
    BU: ['seq', 'a', 'h', 'l', 'k', 'reserved', 'lifetime', 'options'],
    BA: ['status', 'k', 'reserved', 'seq', 'lifetime', 'options'],
    BE: ['status', 'reserved', 'homeAddress', 'options'],
    unknown: ['mhType', 'data'],
  };
  const probe = obj(json, path, [...new Set([...COMMON_KEYS, ...Object.values(keysOf).flat()])]);
  const type = probe.type;
  if (typeof type !== 'string' || !keysOf[type]) {
    failPath(
      `${path}.type`,
      `expected one of ${Object.keys(keysOf).join(', ')}, got ${JSON.stringify(type) ?? 'nothing'}`,
    );
  }
  const j = obj(json, path, [...COMMON_KEYS, ...keysOf[type]!]);
  const common = {
    payloadProto: num(j.payloadProto, `${path}.payloadProto`, 255, false),
    headerReserved: num(j.headerReserved, `${path}.headerReserved`, 255, false),
    checksum: num(j.checksum, `${path}.checksum`, 0xffff, false),
  };
  const options = () =>
    list(j.options, `${path}.options`).map((o, i) => mobilityOptionFromJson(o, `${path}.options[${i}]`));
  const cookie = (k: string) => {
    const b = hex(j[k], `${path}.${k}`)!;
    if (b.length !== 8) failPath(`${path}.${k}`, `expected 8 octets, got ${b.length}`);
    return b;
  };
  let m: MhMessage;
  switch (type) {
    case 'BRR':
      m = {
        type,
        ...common,
        reserved: num(j.reserved, `${path}.reserved`, 0xffff, false),
        options: options(),
      };
      break;
    case 'HoTI':
      m = {
        type,
        ...common,
        reserved: num(j.reserved, `${path}.reserved`, 0xffff, false),
        homeInitCookie: cookie('homeInitCookie'),
        options: options(),
      };
      break;
    case 'CoTI':
      m = {
        type,
        ...common,
        reserved: num(j.reserved, `${path}.reserved`, 0xffff, false),
        careOfInitCookie: cookie('careOfInitCookie'),
        options: options(),
      };
      break;
    case 'HoT':
      m = {
        type,
        ...common,
        homeNonceIndex: num(j.homeNonceIndex, `${path}.homeNonceIndex`, 0xffff)!,
        homeInitCookie: cookie('homeInitCookie'),
        homeKeygenToken: cookie('homeKeygenToken'),
        options: options(),
      };
      break;
    case 'CoT':
      m = {
        type,
        ...common,
        careOfNonceIndex: num(j.careOfNonceIndex, `${path}.careOfNonceIndex`, 0xffff)!,
        careOfInitCookie: cookie('careOfInitCookie'),
        careOfKeygenToken: cookie('careOfKeygenToken'),
        options: options(),
      };
      break;
    case 'BU':
      m = {
        type,
        ...common,
        seq: num(j.seq, `${path}.seq`, 0xffff)!,
        a: bool(j.a, `${path}.a`),
        h: bool(j.h, `${path}.h`),
        l: bool(j.l, `${path}.l`),
        k: bool(j.k, `${path}.k`),
        reserved: num(j.reserved, `${path}.reserved`, 0x0fff, false),
        lifetime: num(j.lifetime, `${path}.lifetime`, 0xffff)!,
        options: options(),
      } satisfies BindingUpdate;
      break;
    case 'BA':
      m = {
        type,
        ...common,
        status: num(j.status, `${path}.status`, 255)!,
        k: bool(j.k, `${path}.k`),
        reserved: num(j.reserved, `${path}.reserved`, 0x7f, false),
        seq: num(j.seq, `${path}.seq`, 0xffff)!,
        lifetime: num(j.lifetime, `${path}.lifetime`, 0xffff)!,
        options: options(),
      } satisfies BindingAck;
      break;
    case 'BE':
      m = {
        type,
        ...common,
        status: num(j.status, `${path}.status`, 255)!,
        reserved: num(j.reserved, `${path}.reserved`, 255, false),
        homeAddress: str(j.homeAddress, `${path}.homeAddress`),
        options: options(),
      };
      break;
    default:
      m = {
        type: 'unknown',
        ...common,
        mhType: num(j.mhType, `${path}.mhType`, 255)!,
        data: hex(j.data, `${path}.data`)!,
      };
  }
  try {
    encodeMh(m);
  } catch (err) {
    const r = err as { path?: string; reason?: string };
    if (r.path !== undefined && r.reason !== undefined) failPath(`${path}${r.path.slice(1)}`, r.reason);
    throw err;
  }
  return m;
}

function ipv6OptionFromJson(v: unknown, path: string): Ipv6Option {
  const t = obj(v, path, ['type', 'data', 'address', 'optionType']);
  switch (t.type) {
    case 'pad1':
      obj(v, path, ['type']);
      return { type: 'pad1' };
    case 'padN':
      obj(v, path, ['type', 'data']);
      return { type: 'padN', data: hex(t.data ?? '', `${path}.data`)! };
    case 'homeAddress':
      obj(v, path, ['type', 'address']);
      return { type: 'homeAddress', address: str(t.address, `${path}.address`) };
    case 'unknown':
      obj(v, path, ['type', 'optionType', 'data']);
      return {
        type: 'unknown',
        optionType: num(t.optionType, `${path}.optionType`, 255)!,
        data: hex(t.data ?? '', `${path}.data`)!,
      };
    default:
      return failPath(`${path}.type`, `unknown option ${JSON.stringify(t.type)}`);
  }
}

function extensionFromJson(v: unknown, path: string): ExtensionHeader {
  const t = obj(v, path, [
    'type',
    'options',
    'routingType',
    'segmentsLeft',
    'homeAddress',
    'reserved',
    'data',
    'message',
  ]);
  switch (t.type) {
    case 'hopByHop':
    case 'destinationOptions':
      obj(v, path, ['type', 'options']);
      return {
        type: t.type,
        options: list(t.options, `${path}.options`).map((o, i) =>
          ipv6OptionFromJson(o, `${path}.options[${i}]`),
        ),
      };
    case 'routing': {
      obj(v, path, ['type', 'routingType', 'segmentsLeft', 'homeAddress', 'reserved', 'data']);
      const routingType = num(t.routingType, `${path}.routingType`, 255)!;
      const segmentsLeft = num(t.segmentsLeft, `${path}.segmentsLeft`, 255)!;
      if (routingType === 2) {
        if (t.data !== undefined)
          failPath(`${path}.data`, 'a type 2 routing header has homeAddress, not data');
        return {
          type: 'routing',
          routingType,
          segmentsLeft,
          homeAddress: str(t.homeAddress, `${path}.homeAddress`),
          reserved: num(t.reserved, `${path}.reserved`, 0xffffffff, false),
        };
      }
      if (t.homeAddress !== undefined || t.reserved !== undefined) {
        failPath(`${path}.routingType`, 'only a type 2 routing header has homeAddress and reserved');
      }
      return { type: 'routing', routingType, segmentsLeft, data: hex(t.data, `${path}.data`, false) };
    }
    case 'mobility':
      obj(v, path, ['type', 'message']);
      return { type: 'mobility', message: mhFromJson(t.message, `${path}.message`) };
    default:
      return failPath(`${path}.type`, `unknown extension header ${JSON.stringify(t.type)}`);
  }
}

/** Rebuilds a packet from its JSON form; encoding it computes lengths and the MH checksum. */
export function ipv6PacketFromJson(json: unknown): Ipv6Packet {
  const j = obj(json, '$', ['ipv6', 'extensions', 'payload']);
  const h = obj(j.ipv6, '$.ipv6', ['trafficClass', 'flowLabel', 'hopLimit', 'src', 'dst']);
  const packet: Ipv6Packet = {
    header: {
      trafficClass: num(h.trafficClass, '$.ipv6.trafficClass', 0xff, false),
      flowLabel: num(h.flowLabel, '$.ipv6.flowLabel', 0xfffff, false),
      hopLimit: num(h.hopLimit, '$.ipv6.hopLimit', 0xff, false),
      src: str(h.src, '$.ipv6.src'),
      dst: str(h.dst, '$.ipv6.dst'),
    },
    extensions: list(j.extensions, '$.extensions').map((e, i) => extensionFromJson(e, `$.extensions[${i}]`)),
  };
  if (j.payload === undefined) return packet;
  const pl = obj(j.payload, '$.payload', ['nextHeader', 'data']);
  return {
    ...packet,
    payload: {
      nextHeader: num(pl.nextHeader, '$.payload.nextHeader', 255)!,
      data: hex(pl.data ?? '', '$.payload.data')!,
    },
  };
}

// ---- the CLI's two verbs ----

/**
 * `mh decode`: bytes that start with an IPv6 header (version nibble 6) decode as a whole packet,
 * anything else as a bare Mobility Header. (A bare MH whose Payload Proto is 96..111 would be
 * taken for a packet; no protocol in use has those numbers, and RFC 6275 wants 59 there.)
 */
export function decodeToJson(bytes: Uint8Array): JsonObject {
  return looksLikeIpv6(bytes) ? ipv6PacketToJson(decodeIpv6Packet(bytes)) : mhToJson(decodeMh(bytes));
}

/** `mh encode`: a document with an `ipv6` key encodes as a packet, anything else as a bare Mobility Header. */
export function encodeFromJson(json: unknown): Uint8Array {
  if (typeof json !== 'object' || json === null || !('ipv6' in json)) return encodeMh(mhFromJson(json));
  const packet = ipv6PacketFromJson(json);
  try {
    return encodeIpv6Packet(packet);
  } catch (err) {
    // The packet model calls the fixed header `header`; the JSON form calls it `ipv6`.
    const r = err as { path?: string; reason?: string };
    if (r.path?.startsWith('$.header') && r.reason !== undefined)
      failPath(`$.ipv6${r.path.slice(8)}`, r.reason);
    throw err;
  }
}
