/**
 * X.509 certificates for IKE (RFC 7296 sections 3.6, 3.7; RFC 5280): loading PEM or DER, the
 * names a certificate vouches for (subject DN and subjectAltName dNSName / rfc822Name /
 * iPAddress / directoryName) and whether an IKE identity is one of them, the CERTREQ
 * "Certification Authority" value (SHA-1 of a CA's SubjectPublicKeyInfo), and path validation
 * from an end-entity certificate through the intermediates a peer sent to a configured trust
 * anchor, with signatures checked by node:crypto and validity dates against a given time.
 */
import { createHash, createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { ipFromBytes } from '@mip6sec/core';
import { equalBytes } from '../bytes.js';
import { ID_TYPE } from '../constants.js';
import { IkeError } from '../errors.js';
import { type Identity, sameIdentity } from '../identity.js';
import { children, oidText, readOnly, TAG, type Tlv } from './asn1.js';
import { type DnAttribute, decodeDn, dnEquals } from './dn.js';

/** PEM text (one or more blocks), or DER / PEM bytes. */
export type CertificateSource = string | Uint8Array;

/** One subjectAltName entry this implementation can bind an identity to. */
export type AltName =
  | { readonly type: 'dns'; readonly value: string }
  | { readonly type: 'email'; readonly value: string }
  | { readonly type: 'ip'; readonly value: string; readonly bytes: Uint8Array }
  | { readonly type: 'dn'; readonly value: readonly DnAttribute[]; readonly der: Uint8Array };

/** A parsed certificate: node:crypto's object plus the fields IKE needs that it does not expose. */
export interface Certificate {
  readonly x509: X509Certificate;
  readonly der: Uint8Array;
  /** DER of the subject Name, the form an ID_DER_ASN1_DN identity carries. */
  readonly subjectDer: Uint8Array;
  readonly subject: readonly DnAttribute[];
  readonly altNames: readonly AltName[];
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Uint8Array;
  readonly publicKey: KeyObject;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly isCa: boolean;
}

const OID_SUBJECT_ALT_NAME = '2.5.29.17';
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

function pemBlocks(text: string): { label: string; der: Uint8Array }[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => ({
    label: m[1]!,
    der: new Uint8Array(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64')),
  }));
}

function isPemBytes(b: Uint8Array): boolean {
  return b.length > 10 && b[0] === 0x2d && new TextDecoder().decode(b.subarray(0, 11)) === '-----BEGIN ';
}

function bad(why: string, cause?: unknown): IkeError {
  return new IkeError('EINVAL', why, cause === undefined ? undefined : { cause });
}

/** Reads the SAN extension value: GeneralNames (RFC 5280 section 4.2.1.6). */
function altNamesOf(extnValue: Uint8Array): AltName[] {
  const names = readOnly(extnValue);
  if (names.tag !== TAG.SEQUENCE) throw bad('subjectAltName is not a SEQUENCE');
  const out: AltName[] = [];
  const text = (t: Tlv) => new TextDecoder().decode(t.value);
  for (const g of children(names.value)) {
    switch (g.tag) {
      case 0x81:
        out.push({ type: 'email', value: text(g) });
        break;
      case 0x82:
        out.push({ type: 'dns', value: text(g) });
        break;
      case 0x87:
        if (g.value.length === 4 || g.value.length === 16)
          out.push({
            type: 'ip',
            value: ipFromBytes(g.value, 0, g.value.length === 4 ? 4 : 6),
            bytes: g.value.slice(),
          });
        break;
      case 0xa4: {
        const name = readOnly(g.value);
        out.push({ type: 'dn', value: decodeDn(name.raw), der: name.raw.slice() });
        break;
      }
      default:
    }
  }
  return out;
}

/** Subject Name and subjectAltName from the TBSCertificate (RFC 5280 section 4.1). */
function namesOf(der: Uint8Array): { subjectDer: Uint8Array; altNames: AltName[] } {
  const cert = readOnly(der);
  const [tbs] = cert.tag === TAG.SEQUENCE ? children(cert.value) : [];
  if (tbs?.tag !== TAG.SEQUENCE) throw bad('certificate without a TBSCertificate');
  const fields = children(tbs.value);
  // [0] version is optional; then serial, signature, issuer, validity, subject, SPKI, ...
  const base = fields[0]?.tag === 0xa0 ? 1 : 0;
  const subject = fields[base + 4];
  if (subject?.tag !== TAG.SEQUENCE) throw bad('certificate without a subject');
  let altNames: AltName[] = [];
  const exts = fields.find((f) => f.tag === 0xa3);
  if (exts) {
    const list = readOnly(exts.value);
    for (const ext of children(list.value)) {
      const parts = children(ext.value);
      if (parts[0]?.tag === TAG.OID && oidText(parts[0].value) === OID_SUBJECT_ALT_NAME) {
        const value = parts[parts.length - 1];
        if (value?.tag !== TAG.OCTET_STRING) throw bad('subjectAltName without a value');
        altNames = altNamesOf(value.value);
      }
    }
  }
  return { subjectDer: subject.raw.slice(), altNames };
}

function parseDate(text: string, what: string): number {
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw bad(`certificate ${what} ${JSON.stringify(text)} is not a date`);
  return t;
}

/** Parses one DER certificate; IkeError('EINVAL') when it is not one. */
export function parseCertificate(der: Uint8Array): Certificate {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(der);
  } catch (e) {
    throw bad('not an X.509 certificate', e);
  }
  const { subjectDer, altNames } = namesOf(der);
  const publicKey = x509.publicKey;
  return {
    x509,
    der: der.slice(),
    subjectDer,
    subject: decodeDn(subjectDer),
    altNames,
    spki: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
    publicKey,
    notBefore: parseDate(x509.validFrom, 'notBefore'),
    notAfter: parseDate(x509.validTo, 'notAfter'),
    isCa: x509.ca,
  };
}

/** Every certificate in PEM text (all CERTIFICATE blocks, in order) or in DER / PEM bytes. */
export function loadCertificates(source: CertificateSource | readonly CertificateSource[]): Certificate[] {
  if (Array.isArray(source))
    return (source as readonly CertificateSource[]).flatMap((s) => loadCertificates(s));
  const one = source as CertificateSource;
  if (typeof one === 'string' || isPemBytes(one)) {
    const text = typeof one === 'string' ? one : new TextDecoder().decode(one);
    const blocks = pemBlocks(text).filter((b) => b.label === 'CERTIFICATE' || b.label === 'X509 CERTIFICATE');
    if (blocks.length === 0) throw bad('no PEM CERTIFICATE block found');
    return blocks.map((b) => parseCertificate(b.der));
  }
  return [parseCertificate(one)];
}

/** A private key from PEM (PKCS#8, PKCS#1 RSA, SEC1 EC) or DER (PKCS#8, else PKCS#1 / SEC1). */
export function loadPrivateKey(source: string | Uint8Array): KeyObject {
  try {
    if (typeof source === 'string' || isPemBytes(source))
      return createPrivateKey(typeof source === 'string' ? source : Buffer.from(source));
  } catch (e) {
    throw bad('not a private key in PEM', e);
  }
  const der = Buffer.from(source as Uint8Array);
  for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
    try {
      return createPrivateKey({ key: der, format: 'der', type });
    } catch {
      // Try the next container.
    }
  }
  throw bad('not a private key in DER (PKCS#8, PKCS#1 or SEC1)');
}

/** The CERTREQ Certification Authority entry of a CA: SHA-1 of its SubjectPublicKeyInfo (RFC 7296 section 3.7). */
export function caKeyHash(ca: Certificate): Uint8Array {
  return new Uint8Array(createHash('sha1').update(ca.spki).digest());
}

const utf8 = new TextEncoder();

/** The identities a certificate vouches for: its subject DN, then each usable subjectAltName. */
export function certificateIdentities(cert: Certificate): Identity[] {
  const ids: Identity[] = [];
  if (cert.subject.length > 0) ids.push({ idType: ID_TYPE.ID_DER_ASN1_DN, data: cert.subjectDer });
  for (const a of cert.altNames) {
    if (a.type === 'dns') ids.push({ idType: ID_TYPE.ID_FQDN, data: utf8.encode(a.value) });
    else if (a.type === 'email') ids.push({ idType: ID_TYPE.ID_RFC822_ADDR, data: utf8.encode(a.value) });
    else if (a.type === 'ip')
      ids.push({ idType: a.bytes.length === 4 ? ID_TYPE.ID_IPV4_ADDR : ID_TYPE.ID_IPV6_ADDR, data: a.bytes });
    else ids.push({ idType: ID_TYPE.ID_DER_ASN1_DN, data: a.der });
  }
  return ids;
}

const lower = (b: Uint8Array) => new TextDecoder().decode(b).toLowerCase();

/**
 * True when `id` names the certificate's holder: a DN equal to the subject (or a directoryName),
 * an FQDN equal to a dNSName, an RFC 822 address equal to an rfc822Name (both without regard to
 * case), an address equal to an iPAddress. Other identity types are never bound.
 */
export function certificateBinds(cert: Certificate, id: Identity): boolean {
  switch (id.idType) {
    case ID_TYPE.ID_FQDN:
    case ID_TYPE.ID_RFC822_ADDR: {
      const want = lower(id.data);
      const type = id.idType === ID_TYPE.ID_FQDN ? 'dns' : 'email';
      return cert.altNames.some((a) => a.type === type && a.value.toLowerCase() === want);
    }
    case ID_TYPE.ID_IPV4_ADDR:
    case ID_TYPE.ID_IPV6_ADDR:
      return cert.altNames.some((a) => a.type === 'ip' && equalBytes(a.bytes, id.data));
    case ID_TYPE.ID_DER_ASN1_DN: {
      if (sameIdentity({ idType: ID_TYPE.ID_DER_ASN1_DN, data: cert.subjectDer }, id)) return true;
      let want: DnAttribute[];
      try {
        want = decodeDn(id.data);
      } catch {
        return false;
      }
      return cert.altNames.some((a) => a.type === 'dn' && dnEquals(a.value, want));
    }
    default:
      return false;
  }
}

/** Why a chain was refused, for logs and errors. */
export class CertificateError extends IkeError {
  constructor(message: string) {
    super('AUTHENTICATION_FAILED', message);
  }
}

function validAt(c: Certificate, now: number, role: string): void {
  if (now < c.notBefore)
    throw new CertificateError(`${role} certificate is not valid before ${c.x509.validFrom}`);
  if (now > c.notAfter) throw new CertificateError(`${role} certificate expired ${c.x509.validTo}`);
}

function issued(child: Certificate, issuer: Certificate): boolean {
  try {
    return child.x509.checkIssued(issuer.x509) && child.x509.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/**
 * Validates `chain[0]` (the end entity) up to one of `anchors`, using `chain[1..]` as
 * intermediates in any order: each link's issuer name and signature, every certificate's validity
 * at `now` (Unix milliseconds), intermediates must be CAs and anchors CAs or self-signed roots. Returns the path from the
 * end entity to the anchor; throws CertificateError naming the first failure.
 */
export function validateChain(
  chain: readonly Certificate[],
  anchors: readonly Certificate[],
  now: number,
  maxDepth = 8,
): Certificate[] {
  const ee = chain[0];
  if (!ee) throw new CertificateError('no certificate');
  validAt(ee, now, 'end-entity');
  const path: Certificate[] = [ee];
  // A trust anchor may also be pinned as the peer's own certificate.
  if (anchors.some((a) => equalBytes(a.der, ee.der))) return path;
  let current = ee;
  const pool = chain.slice(1);
  for (let depth = 0; depth < maxDepth; depth++) {
    // A configured anchor is trusted as a CA when it says so, or when it is a (v1) self-signed root.
    const anchor = anchors.find((a) => (a.isCa || issued(a, a)) && issued(current, a));
    if (anchor) {
      validAt(anchor, now, 'CA');
      path.push(anchor);
      return path;
    }
    const next = pool.find((c) => c.isCa && !path.includes(c) && issued(current, c));
    if (!next)
      throw new CertificateError(
        `no trusted CA issued ${path.length === 1 ? 'the end-entity' : 'an intermediate'} certificate`,
      );
    validAt(next, now, 'intermediate');
    path.push(next);
    current = next;
  }
  throw new CertificateError(`certificate chain longer than ${maxDepth}`);
}
