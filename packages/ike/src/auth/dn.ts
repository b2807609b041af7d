/**
 * Distinguished names (X.501 Name) as ID_DER_ASN1_DN identities (RFC 7296 section 3.5): text in
 * the `C=CH, O=Example, CN=gw` form (or OpenSSL's `/O=Example/CN=gw`) to DER and back, and the
 * comparison used to bind an identity to a certificate subject: same attributes in the same
 * order, values compared without regard to case or surrounding spaces (X.520 caseIgnoreMatch).
 */
import { IkeError } from '../errors.js';
import { children, oid, oidText, readOnly, stringValue, TAG, tlv } from './asn1.js';

/** One attribute of a name, in order; multi-valued RDNs are flattened. */
export interface DnAttribute {
  readonly oid: string;
  readonly value: string;
}

/** Short names, as strongSwan and OpenSSL print them. */
const NAMES: readonly (readonly [string, string])[] = [
  ['C', '2.5.4.6'],
  ['ST', '2.5.4.8'],
  ['L', '2.5.4.7'],
  ['O', '2.5.4.10'],
  ['OU', '2.5.4.11'],
  ['CN', '2.5.4.3'],
  ['SN', '2.5.4.4'],
  ['serialNumber', '2.5.4.5'],
  ['street', '2.5.4.9'],
  ['title', '2.5.4.12'],
  ['GN', '2.5.4.42'],
  ['DC', '0.9.2342.19200300.100.1.25'],
  ['UID', '0.9.2342.19200300.100.1.1'],
  ['E', '1.2.840.113549.1.9.1'],
];
const ALIASES = new Map<string, string>([
  ['emailaddress', '1.2.840.113549.1.9.1'],
  ['email', '1.2.840.113549.1.9.1'],
  ['s', '2.5.4.8'],
  ['g', '2.5.4.42'],
  ['t', '2.5.4.12'],
]);
const BY_NAME = new Map(NAMES.map(([n, o]) => [n.toLowerCase(), o]));
const BY_OID = new Map(NAMES.map(([n, o]) => [o, n]));
/** Attributes whose syntax is not DirectoryString. */
const IA5 = new Set(['1.2.840.113549.1.9.1', '0.9.2342.19200300.100.1.25']);
const PRINTABLE = new Set(['2.5.4.6', '2.5.4.5']);

function attributeOid(name: string): string | undefined {
  const n = name.trim();
  if (/^\d+(\.\d+)+$/.test(n)) return n;
  return BY_NAME.get(n.toLowerCase()) ?? ALIASES.get(n.toLowerCase());
}

/** Splits on an unescaped separator, undoing `\x` escapes afterwards. */
function split(text: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      cur += c + text[i + 1]!;
      i++;
    } else if (c === sep) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts;
}

const unescapeValue = (s: string) => s.replace(/\\(.)/g, '$1');

/**
 * Parses DN text; undefined when `text` is not a DN at all (so identity parsing can try other
 * forms), IkeError('EINVAL') when it looks like one but is malformed.
 */
export function parseDn(text: string): DnAttribute[] | undefined {
  const t = text.trim();
  const slash = t.startsWith('/');
  const parts = slash ? split(t.slice(1), '/') : split(t, ',');
  const firstEq = parts[0]?.indexOf('=') ?? -1;
  if (firstEq <= 0 || attributeOid(parts[0]!.slice(0, firstEq)) === undefined) return undefined;
  return parts.map((p) => {
    const eq = p.indexOf('=');
    const type = eq > 0 ? attributeOid(p.slice(0, eq)) : undefined;
    if (type === undefined)
      throw new IkeError('EINVAL', `bad attribute ${JSON.stringify(p.trim())} in DN ${t}`);
    return { oid: type, value: unescapeValue(p.slice(eq + 1).trim()) };
  });
}

/** DER of a Name with one attribute per RDN. */
export function encodeDn(attrs: readonly DnAttribute[]): Uint8Array {
  const utf8 = new TextEncoder();
  const rdns = attrs.map((a) => {
    const tag = IA5.has(a.oid)
      ? TAG.IA5_STRING
      : PRINTABLE.has(a.oid)
        ? TAG.PRINTABLE_STRING
        : TAG.UTF8_STRING;
    return tlv(TAG.SET, tlv(TAG.SEQUENCE, oid(a.oid), tlv(tag, utf8.encode(a.value))));
  });
  return tlv(TAG.SEQUENCE, ...rdns);
}

/** The attributes of a DER Name; IkeError('EINVAL') when it is not one. */
export function decodeDn(der: Uint8Array): DnAttribute[] {
  const name = readOnly(der);
  if (name.tag !== TAG.SEQUENCE) throw new IkeError('EINVAL', 'a DN is not a SEQUENCE');
  const out: DnAttribute[] = [];
  for (const rdn of children(name.value)) {
    if (rdn.tag !== TAG.SET) throw new IkeError('EINVAL', 'an RDN is not a SET');
    for (const atv of children(rdn.value)) {
      const [type, value] = atv.tag === TAG.SEQUENCE ? children(atv.value) : [];
      if (type?.tag !== TAG.OID || !value) throw new IkeError('EINVAL', 'bad AttributeTypeAndValue');
      out.push({ oid: oidText(type.value), value: stringValue(value) });
    }
  }
  return out;
}

const escapeValue = (v: string) => v.replace(/([,\\/+])/g, '\\$1');

/** `C=CH, O=Example, CN=gw`; unknown attribute types by their OID. */
export function formatDn(attrs: readonly DnAttribute[]): string {
  return attrs.map((a) => `${BY_OID.get(a.oid) ?? a.oid}=${escapeValue(a.value)}`).join(', ');
}

const norm = (v: string) => v.trim().replace(/\s+/g, ' ').toLowerCase();

export function dnEquals(a: readonly DnAttribute[], b: readonly DnAttribute[]): boolean {
  return (
    a.length === b.length && a.every((x, i) => x.oid === b[i]!.oid && norm(x.value) === norm(b[i]!.value))
  );
}
