/**
 * IKE identities (RFC 7296 section 3.5) as text and as ID payload bodies. Text forms follow
 * strongSwan's habits: an address is ID_IPV4_ADDR / ID_IPV6_ADDR, `user@host` is ID_RFC822_ADDR,
 * `@name` or a bare name is ID_FQDN, `@#hex` or `keyid:hex` is ID_KEY_ID, `C=CH, O=Example, CN=gw`
 * (or `/O=Example/CN=gw`) is ID_DER_ASN1_DN; `fqdn:`, `email:`, `ipv4:`, `ipv6:`, `asn1dn:` prefixes
 * force a type.
 */
import { ipFromBytes, ipToBytes, isIp } from '@mip6sec/core';
import { decodeDn, dnEquals, encodeDn, formatDn, parseDn } from './auth/dn.js';
import { fromHex, toHex } from './bytes.js';
import { ID_TYPE } from './constants.js';
import { IkeError } from './errors.js';

export interface Identity {
  readonly idType: number;
  readonly data: Uint8Array;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

function keyId(hex: string, text: string): Identity {
  try {
    return { idType: ID_TYPE.ID_KEY_ID, data: fromHex(hex) };
  } catch {
    throw new IkeError('EINVAL', `bad key id in identity ${JSON.stringify(text)}`);
  }
}

function dnIdentity(value: string, text: string): Identity {
  if (value.startsWith('#')) {
    const der = keyId(value.slice(1), text).data;
    try {
      decodeDn(der);
    } catch {
      throw new IkeError('EINVAL', `not a DER distinguished name in identity ${JSON.stringify(text)}`);
    }
    return { idType: ID_TYPE.ID_DER_ASN1_DN, data: der };
  }
  const dn = parseDn(value);
  if (!dn) throw new IkeError('EINVAL', `bad distinguished name in identity ${JSON.stringify(text)}`);
  return { idType: ID_TYPE.ID_DER_ASN1_DN, data: encodeDn(dn) };
}

/** Parses identity text; throws IkeError('EINVAL') on an empty or malformed one. */
export function parseIdentity(text: string): Identity {
  const t = text.trim();
  if (t === '') throw new IkeError('EINVAL', 'empty identity');
  const prefixed = /^(fqdn|email|rfc822|ipv4|ipv6|keyid|asn1dn|dn):(.+)$/i.exec(t);
  if (prefixed) {
    const kind = prefixed[1]!.toLowerCase();
    const value = prefixed[2]!;
    if (kind === 'asn1dn' || kind === 'dn') return dnIdentity(value, t);
    if (kind === 'fqdn') return { idType: ID_TYPE.ID_FQDN, data: utf8.encode(value) };
    if (kind === 'email' || kind === 'rfc822')
      return { idType: ID_TYPE.ID_RFC822_ADDR, data: utf8.encode(value) };
    if (kind === 'keyid') return keyId(value, t);
    const family = kind === 'ipv4' ? 4 : 16;
    if (!isIp(value) || ipToBytes(value).length !== family)
      throw new IkeError('EINVAL', `bad address in identity ${t}`);
    return { idType: family === 4 ? ID_TYPE.ID_IPV4_ADDR : ID_TYPE.ID_IPV6_ADDR, data: ipToBytes(value) };
  }
  // isIp throws and catches inside; names (the usual identity) skip it.
  if ((/^[\d.]+$/.test(t) || t.includes(':')) && isIp(t)) {
    const b = ipToBytes(t);
    return { idType: b.length === 4 ? ID_TYPE.ID_IPV4_ADDR : ID_TYPE.ID_IPV6_ADDR, data: b };
  }
  const dn = parseDn(t);
  if (dn) return { idType: ID_TYPE.ID_DER_ASN1_DN, data: encodeDn(dn) };
  if (t.startsWith('@#')) return keyId(t.slice(2), t);
  if (t.startsWith('@')) {
    if (t.length === 1) throw new IkeError('EINVAL', 'empty FQDN identity');
    return { idType: ID_TYPE.ID_FQDN, data: utf8.encode(t.slice(1)) };
  }
  if (t.includes('@')) return { idType: ID_TYPE.ID_RFC822_ADDR, data: utf8.encode(t) };
  return { idType: ID_TYPE.ID_FQDN, data: utf8.encode(t) };
}

/**
 * Texts already made, per identity object: a home agent compares the identity of each new IKE SA
 * with those of all it holds (INITIAL_CONTACT), and lists them all for invariant checks.
 */
const formatted = new WeakMap<Identity, string>();

/** Canonical text of an identity: the address, the name, `user@host`, `keyid:hex`, or `type:hex`. */
export function formatIdentity(id: Identity): string {
  let text = formatted.get(id);
  if (text === undefined) {
    text = format(id);
    formatted.set(id, text);
  }
  return text;
}

function format(id: Identity): string {
  switch (id.idType) {
    case ID_TYPE.ID_IPV4_ADDR:
      if (id.data.length === 4) return ipFromBytes(id.data, 0, 4);
      break;
    case ID_TYPE.ID_IPV6_ADDR:
      if (id.data.length === 16) return ipFromBytes(id.data, 0, 6);
      break;
    case ID_TYPE.ID_FQDN:
    case ID_TYPE.ID_RFC822_ADDR:
      return fromUtf8.decode(id.data);
    case ID_TYPE.ID_KEY_ID:
      return `keyid:${toHex(id.data)}`;
    case ID_TYPE.ID_NULL:
      return '%null';
    case ID_TYPE.ID_DER_ASN1_DN:
      try {
        return formatDn(decodeDn(id.data));
      } catch {
        break;
      }
  }
  return `id${id.idType}:${toHex(id.data)}`;
}

/** True when two identities are the same (distinguished names compared attribute by attribute). */
export function sameIdentity(a: Identity, b: Identity): boolean {
  if (a.idType !== b.idType) return false;
  if (a.idType === ID_TYPE.ID_DER_ASN1_DN) {
    try {
      return dnEquals(decodeDn(a.data), decodeDn(b.data));
    } catch {
      // Not decodable: only the same bytes match.
    }
  }
  return a.data.length === b.data.length && a.data.every((x, i) => x === b.data[i]);
}

/** True when `id` is what `pattern` allows: `%any`, or the same identity. */
export function identityMatches(pattern: string | undefined, id: Identity): boolean {
  if (pattern === undefined || pattern === '%any') return true;
  let parsed = patterns.get(pattern);
  if (!parsed) {
    parsed = parseIdentity(pattern);
    if (patterns.size >= 256) patterns.clear();
    patterns.set(pattern, parsed);
  }
  return sameIdentity(parsed, id);
}

/** Configured identities, parsed once: every IKE_AUTH compares against the same few. */
const patterns = new Map<string, Identity>();
