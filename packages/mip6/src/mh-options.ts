/**
 * Mobility options (RFC 6275 §6.2): TLVs after the fixed part of a Mobility Header message, with
 * the alignment rules of §6.2 (Binding Refresh Advice 2n, Alternate Care-of Address 8n+6, Nonce
 * Indices 2n, Binding Authorization Data 8n+2; offsets count from the start of the Mobility
 * Header) and the padding that makes the whole header a multiple of 8 octets.
 *
 * Unknown option types are kept opaque (type and data), as §6.2.1 asks receivers to skip them and
 * go on, so every accepted byte string re-encodes to itself.
 */
import { type Ip, ipFromBytes, ipToBytes } from '@mip6sec/core';
import {
  IP6_MHOPT_ALTCOA,
  IP6_MHOPT_BAUTH,
  IP6_MHOPT_BREFRESH,
  IP6_MHOPT_NONCEID,
  IP6_MHOPT_PAD1,
  IP6_MHOPT_PADN,
} from './mh-constants.js';
import { failAt, failPath } from './mh-error.js';

/** One octet of padding (§6.2.2): no length field. */
export interface Pad1Option {
  readonly type: 'pad1';
}

/** Two or more octets of padding (§6.2.3); `data` is the N-2 octets after the length (normally zero). */
export interface PadNOption {
  readonly type: 'padN';
  readonly data: Uint8Array;
}

/** Binding Refresh Advice (§6.2.4): when the MN should refresh, in 4-second units. */
export interface BindingRefreshAdviceOption {
  readonly type: 'bindingRefreshAdvice';
  readonly refreshInterval: number;
}

/** Alternate Care-of Address (§6.2.5): the CoA inside the ESP-protected BU (RFC 3776 §3). */
export interface AlternateCareOfAddressOption {
  readonly type: 'alternateCareOfAddress';
  readonly address: Ip;
}

/** Nonce Indices (§6.2.6), for return routability. */
export interface NonceIndicesOption {
  readonly type: 'nonceIndices';
  readonly homeNonceIndex: number;
  readonly careOfNonceIndex: number;
}

/** Binding Authorization Data (§6.2.7): the authenticator (96 bits with HMAC_SHA1 truncation). */
export interface BindingAuthorizationDataOption {
  readonly type: 'bindingAuthorizationData';
  readonly authenticator: Uint8Array;
}

/** An option type this codec does not know, kept as it came. */
export interface UnknownMobilityOption {
  readonly type: 'unknown';
  readonly optionType: number;
  readonly data: Uint8Array;
}

export type MobilityOption =
  | Pad1Option
  | PadNOption
  | BindingRefreshAdviceOption
  | AlternateCareOfAddressOption
  | NonceIndicesOption
  | BindingAuthorizationDataOption
  | UnknownMobilityOption;

export type MobilityOptionName = MobilityOption['type'];

/** Alignment xn+y of an option's Type octet, counted from the start of the Mobility Header. */
export interface Alignment {
  readonly x: number;
  readonly y: number;
}

/** RFC 6275 §6.2.4–6.2.7. */
export const MOBILITY_OPTION_ALIGNMENT: Readonly<Partial<Record<MobilityOptionName, Alignment>>> = {
  bindingRefreshAdvice: { x: 2, y: 0 },
  alternateCareOfAddress: { x: 8, y: 6 },
  nonceIndices: { x: 2, y: 0 },
  bindingAuthorizationData: { x: 8, y: 2 },
};

/** Option Type numbers and, for fixed-size options, the Option Length they must carry. */
const KNOWN: Readonly<Record<number, { name: MobilityOptionName; length?: number }>> = {
  [IP6_MHOPT_PAD1]: { name: 'pad1' },
  [IP6_MHOPT_PADN]: { name: 'padN' },
  [IP6_MHOPT_BREFRESH]: { name: 'bindingRefreshAdvice', length: 2 },
  [IP6_MHOPT_ALTCOA]: { name: 'alternateCareOfAddress', length: 16 },
  [IP6_MHOPT_NONCEID]: { name: 'nonceIndices', length: 4 },
  [IP6_MHOPT_BAUTH]: { name: 'bindingAuthorizationData' },
};

const OPTION_TITLE: Readonly<Record<MobilityOptionName, string>> = {
  pad1: 'Pad1',
  padN: 'PadN',
  bindingRefreshAdvice: 'Binding Refresh Advice',
  alternateCareOfAddress: 'Alternate Care-of Address',
  nonceIndices: 'Nonce Indices',
  bindingAuthorizationData: 'Binding Authorization Data',
  unknown: 'unknown',
};

/** Octets an option takes on the wire. */
export function optionSize(o: MobilityOption): number {
  switch (o.type) {
    case 'pad1':
      return 1;
    case 'padN':
      return 2 + o.data.length;
    case 'bindingRefreshAdvice':
      return 4;
    case 'alternateCareOfAddress':
      return 18;
    case 'nonceIndices':
      return 6;
    case 'bindingAuthorizationData':
      return 2 + o.authenticator.length;
    case 'unknown':
      return 2 + o.data.length;
  }
}

/** Octets of padding needed before an option placed at `offset` to meet alignment `a`. */
export function paddingFor(offset: number, a: Alignment | undefined): number {
  if (!a) return 0;
  return (((a.y - offset) % a.x) + a.x) % a.x;
}

/** The shortest padding of `n` octets: Pad1 for one, PadN with zero data otherwise. */
export function padding(n: number): MobilityOption[] {
  if (n <= 0) return [];
  if (n === 1) return [{ type: 'pad1' }];
  return [{ type: 'padN', data: new Uint8Array(n - 2) }];
}

export interface OptionDecodeOptions {
  /** Reject known options placed off their RFC 6275 §6.2 alignment (default true). */
  readonly strictAlignment?: boolean;
}

/**
 * Decodes the options area `bytes[start, end)` of a Mobility Header that begins at `mhStart`.
 * Offsets in errors are absolute positions in `bytes`.
 */
export function decodeMobilityOptions(
  bytes: Uint8Array,
  start: number,
  end: number,
  mhStart: number,
  opts: OptionDecodeOptions = {},
): MobilityOption[] {
  const strict = opts.strictAlignment ?? true;
  const out: MobilityOption[] = [];
  let p = start;
  while (p < end) {
    const t = bytes[p]!;
    if (t === IP6_MHOPT_PAD1) {
      out.push({ type: 'pad1' });
      p += 1;
      continue;
    }
    if (p + 2 > end) failAt(p, `mobility option type ${t} has no length octet before the end of the header`);
    const len = bytes[p + 1]!;
    if (p + 2 + len > end) {
      failAt(
        p + 1,
        `mobility option type ${t} length ${len} runs past the end of the header (${end - p - 2} octets left)`,
      );
    }
    const known = KNOWN[t];
    if (known?.length !== undefined && len !== known.length) {
      failAt(p + 1, `${OPTION_TITLE[known.name]} option length ${len}, must be ${known.length}`);
    }
    if (known && strict) {
      const a = MOBILITY_OPTION_ALIGNMENT[known.name];
      if (a && paddingFor(p - mhStart, a) !== 0) {
        failAt(
          p,
          `${OPTION_TITLE[known.name]} option at offset ${p - mhStart} breaks its ${a.x}n+${a.y} alignment`,
        );
      }
    }
    const d = p + 2;
    const view = new DataView(bytes.buffer, bytes.byteOffset + d, len);
    switch (known?.name) {
      case 'padN':
        out.push({ type: 'padN', data: bytes.slice(d, d + len) });
        break;
      case 'bindingRefreshAdvice':
        out.push({ type: 'bindingRefreshAdvice', refreshInterval: view.getUint16(0) });
        break;
      case 'alternateCareOfAddress':
        out.push({ type: 'alternateCareOfAddress', address: ipFromBytes(bytes, d, 6) });
        break;
      case 'nonceIndices':
        out.push({
          type: 'nonceIndices',
          homeNonceIndex: view.getUint16(0),
          careOfNonceIndex: view.getUint16(2),
        });
        break;
      case 'bindingAuthorizationData':
        out.push({ type: 'bindingAuthorizationData', authenticator: bytes.slice(d, d + len) });
        break;
      default:
        out.push({ type: 'unknown', optionType: t, data: bytes.slice(d, d + len) });
    }
    p = d + len;
  }
  return out;
}

const u16 = (v: number): boolean => Number.isInteger(v) && v >= 0 && v <= 0xffff;

/** Checks an option's values before encoding; `path` locates it in the caller's input. */
export function validateMobilityOption(o: MobilityOption, path: string): void {
  switch (o.type) {
    case 'pad1':
      return;
    case 'padN':
      if (!(o.data instanceof Uint8Array) || o.data.length > 255)
        failPath(`${path}.data`, 'PadN data must be 0..255 octets');
      return;
    case 'bindingRefreshAdvice':
      if (!u16(o.refreshInterval))
        failPath(`${path}.refreshInterval`, 'refresh interval must be an integer 0..65535');
      return;
    case 'alternateCareOfAddress':
      if (typeof o.address !== 'string' || !o.address.includes(':')) {
        failPath(`${path}.address`, 'alternate care-of address must be an IPv6 address');
      }
      try {
        ipToBytes(o.address);
      } catch {
        failPath(`${path}.address`, `not an IPv6 address: ${JSON.stringify(o.address)}`);
      }
      return;
    case 'nonceIndices':
      if (!u16(o.homeNonceIndex))
        failPath(`${path}.homeNonceIndex`, 'nonce index must be an integer 0..65535');
      if (!u16(o.careOfNonceIndex))
        failPath(`${path}.careOfNonceIndex`, 'nonce index must be an integer 0..65535');
      return;
    case 'bindingAuthorizationData':
      if (!(o.authenticator instanceof Uint8Array) || o.authenticator.length > 255) {
        failPath(`${path}.authenticator`, 'authenticator must be 0..255 octets');
      }
      return;
    case 'unknown':
      if (!Number.isInteger(o.optionType) || o.optionType < 1 || o.optionType > 255) {
        failPath(`${path}.optionType`, 'option type must be an integer 1..255');
      }
      if (KNOWN[o.optionType]) {
        failPath(
          `${path}.optionType`,
          `option type ${o.optionType} is ${OPTION_TITLE[KNOWN[o.optionType]!.name]}, not unknown`,
        );
      }
      if (!(o.data instanceof Uint8Array) || o.data.length > 255)
        failPath(`${path}.data`, 'option data must be 0..255 octets');
      return;
    default:
      failPath(`${path}.type`, `unknown mobility option ${JSON.stringify((o as { type: unknown }).type)}`);
  }
}

/** Writes one option at `p` (already validated); returns the offset after it. */
export function writeMobilityOption(out: Uint8Array, p: number, o: MobilityOption): number {
  const view = new DataView(out.buffer, out.byteOffset);
  switch (o.type) {
    case 'pad1':
      out[p] = IP6_MHOPT_PAD1;
      return p + 1;
    case 'padN':
      out[p] = IP6_MHOPT_PADN;
      out[p + 1] = o.data.length;
      out.set(o.data, p + 2);
      return p + 2 + o.data.length;
    case 'bindingRefreshAdvice':
      out[p] = IP6_MHOPT_BREFRESH;
      out[p + 1] = 2;
      view.setUint16(p + 2, o.refreshInterval);
      return p + 4;
    case 'alternateCareOfAddress':
      out[p] = IP6_MHOPT_ALTCOA;
      out[p + 1] = 16;
      out.set(ipToBytes(o.address), p + 2);
      return p + 18;
    case 'nonceIndices':
      out[p] = IP6_MHOPT_NONCEID;
      out[p + 1] = 4;
      view.setUint16(p + 2, o.homeNonceIndex);
      view.setUint16(p + 4, o.careOfNonceIndex);
      return p + 6;
    case 'bindingAuthorizationData':
      out[p] = IP6_MHOPT_BAUTH;
      out[p + 1] = o.authenticator.length;
      out.set(o.authenticator, p + 2);
      return p + 2 + o.authenticator.length;
    case 'unknown':
      out[p] = o.optionType;
      out[p + 1] = o.data.length;
      out.set(o.data, p + 2);
      return p + 2 + o.data.length;
  }
}

/**
 * Lays out `options` after a fixed part of `fixedLength` octets: with `autoPad`, inserts the
 * padding each known option's alignment needs and pads the end so the whole header is a multiple
 * of 8 octets; without it, takes the list as the exact layout. Returns the list as it will be written.
 */
export function layoutMobilityOptions(
  options: readonly MobilityOption[],
  fixedLength: number,
  autoPad: boolean,
): MobilityOption[] {
  if (!autoPad) return [...options];
  const out: MobilityOption[] = [];
  let p = fixedLength;
  for (const o of options) {
    const pad = paddingFor(p, MOBILITY_OPTION_ALIGNMENT[o.type]);
    for (const x of padding(pad)) out.push(x);
    p += pad;
    out.push(o);
    p += optionSize(o);
  }
  for (const x of padding((8 - (p % 8)) % 8)) out.push(x);
  return out;
}

/** The first option of a given kind, if any. */
export function findOption<K extends MobilityOptionName>(
  options: readonly MobilityOption[],
  type: K,
): Extract<MobilityOption, { type: K }> | undefined {
  return options.find((o): o is Extract<MobilityOption, { type: K }> => o.type === type);
}
