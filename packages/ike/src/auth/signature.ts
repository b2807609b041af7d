/**
 * Signatures in the AUTH payload: RFC 7427 Digital Signature (Auth Method 14), whose
 * Authentication Data is `ASN.1 Length (1) | AlgorithmIdentifier (DER) | Signature Value`, with
 * the AlgorithmIdentifiers of RFC 7427 Appendix A (RSASSA-PKCS1-v1_5 and RSASSA-PSS with SHA-2,
 * ECDSA with SHA-2, and Ed25519 per RFC 8420), and the older per-key methods RFC 7296 / RFC 4754
 * define: RSA Digital Signature (1, PKCS#1 v1.5 over SHA-1) and ECDSA with SHA-256 on P-256,
 * SHA-384 on P-384, SHA-512 on P-521 (9, 10, 11, signature r | s). Signing and verifying run on
 * node:crypto KeyObjects.
 */
import { constants, type KeyObject, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { concat, equalBytes } from '../bytes.js';
import { AUTH_METHOD, HASH_ALGORITHM } from '../constants.js';
import { IkeError } from '../errors.js';
import { children, oid, oidText, readOnly, TAG, tlv } from './asn1.js';

type Hash = 'sha256' | 'sha384' | 'sha512';

/** One signature scheme usable with Auth Method 14. */
export interface SignatureScheme {
  /** strongSwan-like name: `rsa-pkcs1-sha256`, `rsa-pss-sha384`, `ecdsa-sha256`, `ed25519`. */
  readonly name: string;
  readonly key: 'rsa' | 'ec' | 'ed25519';
  /** The hash algorithm number of SIGNATURE_HASH_ALGORITHMS (RFC 7427 section 4) it uses. */
  readonly hashId: number;
  readonly hash: Hash | null;
  readonly pss: boolean;
  /** DER AlgorithmIdentifier as it goes in the AUTH payload. */
  readonly algorithmId: Uint8Array;
}

const HASHES: Record<Hash, { oid: string; id: number; length: number }> = {
  sha256: { oid: '2.16.840.1.101.3.4.2.1', id: HASH_ALGORITHM.SHA2_256, length: 32 },
  sha384: { oid: '2.16.840.1.101.3.4.2.2', id: HASH_ALGORITHM.SHA2_384, length: 48 },
  sha512: { oid: '2.16.840.1.101.3.4.2.3', id: HASH_ALGORITHM.SHA2_512, length: 64 },
};
const OID_RSASSA_PSS = '1.2.840.113549.1.1.10';
const OID_MGF1 = '1.2.840.113549.1.1.8';
const NULL = tlv(TAG.NULL);

const algId = (o: string, params?: Uint8Array) => tlv(TAG.SEQUENCE, oid(o), ...(params ? [params] : []));
const hashAlgId = (h: Hash) => algId(HASHES[h].oid, NULL);

/** RSASSA-PSS-params (RFC 4055 section 3.1): the hash, MGF1 with the same hash, salt = hash length. */
function pssAlgId(h: Hash): Uint8Array {
  return algId(
    OID_RSASSA_PSS,
    tlv(
      TAG.SEQUENCE,
      tlv(0xa0, hashAlgId(h)),
      tlv(0xa1, algId(OID_MGF1, hashAlgId(h))),
      tlv(0xa2, tlv(TAG.INTEGER, Uint8Array.of(HASHES[h].length))),
    ),
  );
}

const pkcs1 = (h: Hash, last: number): SignatureScheme => ({
  name: `rsa-pkcs1-${h}`,
  key: 'rsa',
  hashId: HASHES[h].id,
  hash: h,
  pss: false,
  algorithmId: algId(`1.2.840.113549.1.1.${last}`, NULL),
});
const pss = (h: Hash): SignatureScheme => ({
  name: `rsa-pss-${h}`,
  key: 'rsa',
  hashId: HASHES[h].id,
  hash: h,
  pss: true,
  algorithmId: pssAlgId(h),
});
const ecdsa = (h: Hash, last: number): SignatureScheme => ({
  name: `ecdsa-${h}`,
  key: 'ec',
  hashId: HASHES[h].id,
  hash: h,
  pss: false,
  algorithmId: algId(`1.2.840.10045.4.3.${last}`),
});

/** The schemes this implementation signs and verifies with Auth Method 14. */
export const SIGNATURE_SCHEMES: readonly SignatureScheme[] = [
  pkcs1('sha256', 11),
  pkcs1('sha384', 12),
  pkcs1('sha512', 13),
  pss('sha256'),
  pss('sha384'),
  pss('sha512'),
  ecdsa('sha256', 2),
  ecdsa('sha384', 3),
  ecdsa('sha512', 4),
  {
    name: 'ed25519',
    key: 'ed25519',
    hashId: HASH_ALGORITHM.IDENTITY,
    hash: null,
    pss: false,
    algorithmId: algId('1.3.101.112'),
  },
];

/** Hash algorithms we announce in SIGNATURE_HASH_ALGORITHMS. */
export const SUPPORTED_HASHES: readonly number[] = [
  HASH_ALGORITHM.SHA2_256,
  HASH_ALGORITHM.SHA2_384,
  HASH_ALGORITHM.SHA2_512,
  HASH_ALGORITHM.IDENTITY,
];

/** Reads RSASSA-PSS-params and returns the scheme they amount to, if we support it. */
function pssScheme(params: Uint8Array | undefined): SignatureScheme | undefined {
  if (!params) return undefined;
  const seq = readOnly(params);
  if (seq.tag !== TAG.SEQUENCE) return undefined;
  const fields = new Map(children(seq.value).map((f) => [f.tag, f.value]));
  const hashOf = (alg: Uint8Array | undefined): string | undefined => {
    if (!alg) return undefined;
    const [o] = children(readOnly(alg).value);
    return o?.tag === TAG.OID ? oidText(o.value) : undefined;
  };
  const hashOid = hashOf(fields.get(0xa0));
  const h = (Object.keys(HASHES) as Hash[]).find((k) => HASHES[k].oid === hashOid);
  if (!h) return undefined; // absent means SHA-1, which we do not take
  const mgf = fields.get(0xa1);
  if (!mgf) return undefined;
  const [mgfOid, mgfParams] = children(readOnly(mgf).value);
  if (mgfOid?.tag !== TAG.OID || oidText(mgfOid.value) !== OID_MGF1 || !mgfParams) return undefined;
  if (hashOf(mgfParams.raw) !== HASHES[h].oid) return undefined;
  const salt = fields.get(0xa2);
  const saltInt = salt ? readOnly(salt) : undefined;
  const saltLen = saltInt?.tag === TAG.INTEGER ? saltInt.value.reduce((a, b) => a * 256 + b, 0) : 20;
  if (saltLen !== HASHES[h].length) return undefined;
  const trailer = fields.get(0xa3);
  if (trailer && !equalBytes(trailer, tlv(TAG.INTEGER, Uint8Array.of(1)))) return undefined;
  return SIGNATURE_SCHEMES.find((s) => s.pss && s.hash === h);
}

/** The scheme an AlgorithmIdentifier names, or undefined when we do not support it. */
export function schemeOf(algorithmId: Uint8Array): SignatureScheme | undefined {
  const exact = SIGNATURE_SCHEMES.find((s) => equalBytes(s.algorithmId, algorithmId));
  if (exact) return exact;
  try {
    const seq = readOnly(algorithmId);
    if (seq.tag !== TAG.SEQUENCE) return undefined;
    const [o, params, extra] = children(seq.value);
    if (o?.tag !== TAG.OID || extra) return undefined;
    const name = oidText(o.value);
    if (name === OID_RSASSA_PSS) return pssScheme(params?.raw);
    // Parameters absent where NULL is usual (or the reverse) still name the same algorithm.
    return SIGNATURE_SCHEMES.find((s) => {
      const [so] = children(readOnly(s.algorithmId).value);
      return !s.pss && so !== undefined && oidText(so.value) === name && (!params || params.tag === TAG.NULL);
    });
  } catch {
    return undefined;
  }
}

/** What kind of key a KeyObject holds, as the schemes name it, and its curve. */
export function keyKind(key: KeyObject): { key: 'rsa' | 'ec' | 'ed25519' | 'other'; curve?: string } {
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
      return { key: 'rsa' };
    case 'ec':
      return { key: 'ec', curve: key.asymmetricKeyDetails?.namedCurve ?? '' };
    case 'ed25519':
      return { key: 'ed25519' };
    default:
      return { key: 'other' };
  }
}

/** The legacy method and hash of an EC curve (RFC 4754), when it has one. */
const LEGACY_EC: Record<string, { method: number; hash: Hash; size: number }> = {
  prime256v1: { method: AUTH_METHOD.ECDSA_SHA256_P256, hash: 'sha256', size: 32 },
  secp384r1: { method: AUTH_METHOD.ECDSA_SHA384_P384, hash: 'sha384', size: 48 },
  secp521r1: { method: AUTH_METHOD.ECDSA_SHA512_P521, hash: 'sha512', size: 66 },
};

function rsaOptions(key: KeyObject, scheme: SignatureScheme) {
  return scheme.pss
    ? {
        key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: HASHES[scheme.hash as Hash].length,
      }
    : { key, padding: constants.RSA_PKCS1_PADDING };
}

function schemeSign(key: KeyObject, scheme: SignatureScheme, octets: Uint8Array): Uint8Array {
  const opts = scheme.key === 'rsa' ? rsaOptions(key, scheme) : { key, dsaEncoding: 'der' as const };
  return new Uint8Array(nodeSign(scheme.hash, octets, opts));
}

function schemeVerify(key: KeyObject, scheme: SignatureScheme, octets: Uint8Array, sig: Uint8Array): boolean {
  const opts = scheme.key === 'rsa' ? rsaOptions(key, scheme) : { key, dsaEncoding: 'der' as const };
  return nodeVerify(scheme.hash, octets, opts, sig);
}

/**
 * Picks the scheme for our key: the preferred hashes (default SHA-256, then SHA-384, SHA-512;
 * an EC key starts with its curve's hash) among those the peer announced; PSS for RSA when asked.
 */
export function chooseScheme(
  key: KeyObject,
  peerHashes: readonly number[],
  opts: { rsaPss?: boolean; hashes?: readonly Hash[] } = {},
): SignatureScheme | undefined {
  const kind = keyKind(key);
  if (kind.key === 'ed25519')
    return peerHashes.includes(HASH_ALGORITHM.IDENTITY)
      ? SIGNATURE_SCHEMES.find((s) => s.key === 'ed25519')
      : undefined;
  const curveHash = kind.curve ? LEGACY_EC[kind.curve]?.hash : undefined;
  const order: Hash[] = [...(opts.hashes ?? (curveHash ? [curveHash] : [])), 'sha256', 'sha384', 'sha512'];
  for (const h of order) {
    if (!peerHashes.includes(HASHES[h].id)) continue;
    const s = SIGNATURE_SCHEMES.find(
      (x) => x.key === kind.key && x.hash === h && (kind.key !== 'rsa' || x.pss === (opts.rsaPss ?? false)),
    );
    if (s) return s;
  }
  return undefined;
}

/** The pre-RFC 7427 Auth Method of a key: 1 for RSA, 9 / 10 / 11 for ECDSA by curve. */
export function legacyMethod(key: KeyObject): number | undefined {
  const kind = keyKind(key);
  if (kind.key === 'rsa') return AUTH_METHOD.RSA_DIGITAL_SIGNATURE;
  return kind.curve ? LEGACY_EC[kind.curve]?.method : undefined;
}

/**
 * Signs the AUTH octets: with Auth Method 14 and `scheme`, else with the key's legacy method
 * (RSA: method 1; ECDSA: 9, 10 or 11 by curve). Returns the method and the Authentication Data.
 */
export function signAuth(
  key: KeyObject,
  octets: Uint8Array,
  scheme: SignatureScheme | undefined,
): { method: number; data: Uint8Array } {
  if (scheme) {
    if (scheme.algorithmId.length > 255) throw new IkeError('EINVAL', 'AlgorithmIdentifier too long');
    return {
      method: AUTH_METHOD.DIGITAL_SIGNATURE,
      data: concat(
        Uint8Array.of(scheme.algorithmId.length),
        scheme.algorithmId,
        schemeSign(key, scheme, octets),
      ),
    };
  }
  const kind = keyKind(key);
  if (kind.key === 'rsa')
    return {
      method: AUTH_METHOD.RSA_DIGITAL_SIGNATURE,
      data: new Uint8Array(nodeSign('sha1', octets, { key, padding: constants.RSA_PKCS1_PADDING })),
    };
  const legacy = kind.curve ? LEGACY_EC[kind.curve] : undefined;
  if (legacy)
    return {
      method: legacy.method,
      data: new Uint8Array(nodeSign(legacy.hash, octets, { key, dsaEncoding: 'ieee-p1363' })),
    };
  throw new IkeError('EINVAL', `no AUTH method for a ${kind.key} key without RFC 7427 from the peer`);
}

/** What verification found, for logs: the scheme or legacy method, or why it failed. */
export type VerifyResult =
  | { readonly ok: true; readonly scheme: string }
  | { readonly ok: false; readonly reason: string };

/**
 * Checks an AUTH payload's signature with the peer's public key. `allowed` limits Auth Method 14
 * to hash algorithms we announced (RFC 7427 section 4).
 */
export function verifyAuth(
  key: KeyObject,
  method: number,
  data: Uint8Array,
  octets: Uint8Array,
  allowedHashes: readonly number[] = SUPPORTED_HASHES,
): VerifyResult {
  const kind = keyKind(key);
  try {
    if (method === AUTH_METHOD.DIGITAL_SIGNATURE) {
      const len = data[0];
      if (len === undefined || data.length < 1 + len)
        return { ok: false, reason: 'truncated AlgorithmIdentifier' };
      const scheme = schemeOf(data.subarray(1, 1 + len));
      if (!scheme) return { ok: false, reason: 'unsupported signature algorithm' };
      if (!allowedHashes.includes(scheme.hashId))
        return { ok: false, reason: `${scheme.name} was not announced` };
      if (scheme.key !== kind.key)
        return { ok: false, reason: `${scheme.name} does not fit a ${kind.key} key` };
      return schemeVerify(key, scheme, octets, data.subarray(1 + len))
        ? { ok: true, scheme: scheme.name }
        : { ok: false, reason: `${scheme.name} signature does not verify` };
    }
    if (method === AUTH_METHOD.RSA_DIGITAL_SIGNATURE) {
      if (kind.key !== 'rsa') return { ok: false, reason: `RSA signature but a ${kind.key} key` };
      return nodeVerify('sha1', octets, { key, padding: constants.RSA_PKCS1_PADDING }, data)
        ? { ok: true, scheme: 'rsa-pkcs1-sha1 (method 1)' }
        : { ok: false, reason: 'RSA signature does not verify' };
    }
    const legacy = Object.entries(LEGACY_EC).find(([, v]) => v.method === method);
    if (legacy) {
      const [curve, l] = legacy;
      if (kind.key !== 'ec' || kind.curve !== curve)
        return { ok: false, reason: `Auth Method ${method} needs a ${curve} key` };
      if (data.length !== 2 * l.size) return { ok: false, reason: `ECDSA signature of ${data.length} bytes` };
      return nodeVerify(l.hash, octets, { key, dsaEncoding: 'ieee-p1363' }, data)
        ? { ok: true, scheme: `ecdsa-${l.hash} (method ${method})` }
        : { ok: false, reason: 'ECDSA signature does not verify' };
    }
    return { ok: false, reason: `Auth Method ${method} is not a signature method we take` };
  } catch (e) {
    return { ok: false, reason: `signature check failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}
