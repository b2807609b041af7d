/**
 * The little DER (X.690) that certificate authentication needs: reading the tag-length-value
 * elements of a certificate to reach its names and extensions, and writing the AlgorithmIdentifier
 * and Name structures RFC 7427 and ID_DER_ASN1_DN identities carry. Only definite lengths and
 * single-octet tags are accepted, as DER requires for everything X.509 uses here.
 */
import { concat } from '../bytes.js';
import { IkeError } from '../errors.js';

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** One element: its tag octet, its content, and the whole encoding (header included). */
export interface Tlv {
  readonly tag: number;
  readonly value: Uint8Array;
  readonly raw: Uint8Array;
}

function bad(why: string, at: number): IkeError {
  return new IkeError('EINVAL', `malformed DER: ${why}`, { offset: at });
}

/** Reads the element at `at`; throws IkeError('EINVAL') when it does not fit or is not DER. */
export function readTlv(bytes: Uint8Array, at = 0): Tlv {
  if (at + 2 > bytes.length) throw bad('truncated header', at);
  const tag = bytes[at]!;
  if ((tag & 0x1f) === 0x1f) throw bad('multi-octet tag', at);
  let len = bytes[at + 1]!;
  let head = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw bad('indefinite or oversized length', at + 1);
    if (at + 2 + n > bytes.length) throw bad('truncated length', at + 1);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + bytes[at + 2 + i]!;
    head += n;
  }
  const end = at + head + len;
  if (end > bytes.length) throw bad(`length ${len} runs past the end`, at);
  return { tag, value: bytes.subarray(at + head, end), raw: bytes.subarray(at, end) };
}

/** The elements inside a constructed value, in order. */
export function children(value: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  for (let at = 0; at < value.length; ) {
    const t = readTlv(value, at);
    out.push(t);
    at += t.raw.length;
  }
  return out;
}

/** Reads an element that must fill `bytes` exactly. */
export function readOnly(bytes: Uint8Array): Tlv {
  const t = readTlv(bytes, 0);
  if (t.raw.length !== bytes.length) throw bad(`${bytes.length - t.raw.length} bytes after the element`, 0);
  return t;
}

function lengthOctets(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const octets: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) octets.unshift(v & 0xff);
  return Uint8Array.of(0x80 | octets.length, ...octets);
}

/** Encodes one element from its tag and content parts. */
export function tlv(tag: number, ...content: readonly Uint8Array[]): Uint8Array {
  const body = concat(...content);
  return concat(Uint8Array.of(tag), lengthOctets(body.length), body);
}

/** The content octets of an OBJECT IDENTIFIER in dotted form. */
export function oidBytes(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((s) => {
    if (!/^\d+$/.test(s)) throw new IkeError('EINVAL', `bad OID ${dotted}`);
    return Number(s);
  });
  if (arcs.length < 2 || arcs[0]! > 2) throw new IkeError('EINVAL', `bad OID ${dotted}`);
  const out: number[] = [];
  const push = (v: number) => {
    const groups: number[] = [v & 0x7f];
    for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128)) groups.unshift(0x80 | (x & 0x7f));
    out.push(...groups);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  return Uint8Array.from(out);
}

/** Dotted text of OBJECT IDENTIFIER content octets. */
export function oidText(value: Uint8Array): string {
  const arcs: number[] = [];
  let v = 0;
  for (const b of value) {
    v = v * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      if (arcs.length === 0) {
        const first = v < 80 ? Math.floor(v / 40) : 2;
        arcs.push(first, v - first * 40);
      } else arcs.push(v);
      v = 0;
    }
  }
  return arcs.join('.');
}

export function oid(dotted: string): Uint8Array {
  return tlv(TAG.OID, oidBytes(dotted));
}

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder();

/** Text of a directory string (UTF8String, PrintableString, IA5String, BMPString, ...). */
export function stringValue(t: Tlv): string {
  switch (t.tag) {
    case TAG.UTF8_STRING:
      return utf8.decode(t.value);
    case TAG.BMP_STRING: {
      let s = '';
      for (let i = 0; i + 1 < t.value.length; i += 2)
        s += String.fromCharCode((t.value[i]! << 8) | t.value[i + 1]!);
      return s;
    }
    default:
      return latin1.decode(t.value);
  }
}
