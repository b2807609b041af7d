/**
 * X.509 certificate authentication for IKE_AUTH (RFC 7296 sections 2.15, 3.6 - 3.8; RFC 7427).
 * We send our certificate (and intermediates) as CERT payloads (X.509 Certificate - Signature,
 * encoding 4) and sign with RFC 7427 Digital Signature when the peer announced
 * SIGNATURE_HASH_ALGORITHMS, else with the key's older method. The peer's AUTH is accepted when
 * its end-entity certificate chains to one of our CAs, is valid at the Clock's time, binds the
 * identity it claimed in IDi/IDr (subject DN or a subjectAltName), and its public key verifies
 * the signature (method 14, or 1 / 9 / 10 / 11 unless `legacy` is off).
 */
import type { KeyObject } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import { equalBytes } from '../bytes.js';
import { AUTH_METHOD, CERT_ENCODING, ID_TYPE } from '../constants.js';
import { IkeError } from '../errors.js';
import { formatIdentity, type Identity } from '../identity.js';
import type { CertPayload } from '../payloads/types.js';
import type { AuthContext, Authenticator, AuthenticatorFactory } from './authenticator.js';
import { chooseScheme, legacyMethod, signAuth, verifyAuth } from './signature.js';
import {
  type Certificate,
  CertificateError,
  type CertificateSource,
  caKeyHash,
  certificateBinds,
  loadCertificates,
  loadPrivateKey,
  parseCertificate,
  validateChain,
} from './x509.js';

export interface CertificateAuthOptions {
  /** Our certificate: PEM or DER; in a list (or a PEM with several blocks) the end entity first, then intermediates to send. */
  readonly cert?: CertificateSource | readonly CertificateSource[];
  /** Our private key: PEM or DER (PKCS#8, PKCS#1 RSA, SEC1 EC), or a node:crypto KeyObject. */
  readonly key?: string | Uint8Array | KeyObject;
  /** Trust anchors the peer's certificate must chain to; also announced in CERTREQ. */
  readonly ca?: CertificateSource | readonly CertificateSource[];
  /** Sign with RSASSA-PSS rather than PKCS#1 v1.5 (RSA keys, Auth Method 14 only). Default false. */
  readonly rsaPss?: boolean;
  /** Preferred hash order for Auth Method 14; default the key's curve hash, then SHA-256, 384, 512. */
  readonly hashes?: readonly ('sha256' | 'sha384' | 'sha512')[];
  /** Accept (and, towards a peer without RFC 7427, use) Auth Methods 1, 9, 10, 11. Default true. */
  readonly legacy?: boolean;
  /** Send our certificate in CERT payloads; default true (false when the peer has it configured). */
  readonly sendCertificate?: boolean;
  /**
   * Unix time in milliseconds at which the daemon's Clock read 0. Default 0, right for a
   * SystemClock; a simulation's VirtualClock needs the Unix time of its start.
   */
  readonly epoch?: number;
}

/** What a configured certificate credential resolved to, for listings and checks. */
export interface CertificateCredential {
  readonly certificate?: Certificate;
  readonly chain: readonly Certificate[];
  readonly key?: KeyObject;
  readonly anchors: readonly Certificate[];
}

function spkiOf(key: KeyObject): Uint8Array {
  return new Uint8Array(createPublicKey(key).export({ type: 'spki', format: 'der' }));
}

/** Loads and cross-checks a certificate credential; IkeError('EINVAL') on any mismatch. */
export function loadCredential(o: CertificateAuthOptions): CertificateCredential {
  const chain = o.cert === undefined ? [] : loadCertificates(o.cert);
  const anchors = o.ca === undefined ? [] : loadCertificates(o.ca);
  if (chain.length === 0 && anchors.length === 0)
    throw new IkeError('EINVAL', 'certificate auth needs cert and key, or ca to verify peers with');
  if ((o.cert === undefined) !== (o.key === undefined))
    throw new IkeError('EINVAL', 'certificate auth needs both cert and key');
  let key: KeyObject | undefined;
  if (o.key !== undefined) {
    key = typeof o.key === 'object' && !(o.key instanceof Uint8Array) ? o.key : loadPrivateKey(o.key);
    if (key.type !== 'private') throw new IkeError('EINVAL', 'certificate auth key is not a private key');
    if (!equalBytes(spkiOf(key), chain[0]!.spki))
      throw new IkeError('EINVAL', 'private key does not belong to the certificate');
  }
  for (const a of anchors)
    if (!a.isCa && !a.x509.checkIssued(a.x509))
      throw new IkeError(
        'EINVAL',
        `trust anchor ${a.x509.subject.replace(/\n/g, ', ')} is not a CA certificate`,
      );
  return { ...(chain[0] ? { certificate: chain[0] } : {}), chain, ...(key ? { key } : {}), anchors };
}

/** Our identity from a certificate when none is configured: its subject DN, as text. */
function defaultIdentityOf(cert: Certificate): string {
  return formatIdentity({ idType: ID_TYPE.ID_DER_ASN1_DN, data: cert.subjectDer });
}

/**
 * The authenticator factory for X.509 certificates. Give `cert` and `key` to authenticate
 * ourselves, `ca` to verify peers; one factory may do both (the usual `auth`), or only verify
 * (a `remoteAuth` when we use a PSK ourselves).
 */
export function certificateAuthenticator(options: CertificateAuthOptions): AuthenticatorFactory {
  const cred = loadCredential(options);
  const legacy = options.legacy !== false;
  const epoch = options.epoch ?? 0;
  const certPayloads: CertPayload[] =
    options.sendCertificate === false
      ? []
      : cred.chain.map((c) => ({
          kind: 'CERT',
          encoding: CERT_ENCODING.X509_CERTIFICATE_SIGNATURE,
          data: c.der,
        }));
  const factory = (ctx: AuthContext): Authenticator => {
    const ourKey = cred.key;
    const scheme = ourKey
      ? chooseScheme(ourKey, ctx.peerSignatureHashes ?? [], {
          ...(options.rsaPss !== undefined ? { rsaPss: options.rsaPss } : {}),
          ...(options.hashes ? { hashes: options.hashes } : {}),
        })
      : undefined;
    const method =
      scheme || !ourKey || !legacy
        ? AUTH_METHOD.DIGITAL_SIGNATURE
        : (legacyMethod(ourKey) ?? AUTH_METHOD.DIGITAL_SIGNATURE);
    return {
      method,
      certificates: () => certPayloads,
      sign: (octets) => {
        if (!ourKey) throw new IkeError('EINVAL', 'no certificate and key to authenticate with');
        if (!scheme && (!legacy || legacyMethod(ourKey) === undefined))
          throw new IkeError('AUTHENTICATION_FAILED', 'peer announced no hash algorithm we can sign with');
        return signAuth(ourKey, octets, scheme).data;
      },
      verify: async (octets, auth, id, certs) => {
        const x509s = certs.filter((c) => c.encoding === CERT_ENCODING.X509_CERTIFICATE_SIGNATURE);
        if (x509s.length === 0) throw new CertificateError(`${formatIdentity(id)} sent no X.509 certificate`);
        if (!legacy && auth.method !== AUTH_METHOD.DIGITAL_SIGNATURE)
          throw new CertificateError(`Auth Method ${auth.method} refused (only RFC 7427 signatures)`);
        let chain: Certificate[];
        try {
          chain = x509s.map((c) => parseCertificate(c.data));
        } catch (e) {
          throw new CertificateError(`bad certificate from ${formatIdentity(id)}: ${(e as Error).message}`);
        }
        const now = epoch + (ctx.now?.() ?? 0);
        validateChain(chain, cred.anchors, now);
        const ee = chain[0]!;
        const claimed: Identity = { idType: id.idType, data: id.data };
        if (!certificateBinds(ee, claimed))
          throw new CertificateError(`certificate does not bind the identity ${formatIdentity(claimed)}`);
        const result = verifyAuth(ee.publicKey, auth.method, auth.data, octets);
        if (!result.ok) throw new CertificateError(`${formatIdentity(claimed)}: ${result.reason}`);
        return true;
      },
    };
  };
  const cert = cred.certificate;
  return Object.assign(factory, {
    certificateAuthorities: cred.anchors.map(caKeyHash),
    canSign: cred.key !== undefined,
    ...(cert
      ? {
          defaultIdentity: defaultIdentityOf(cert),
          bindsIdentity: (id: Identity) => certificateBinds(cert, id),
        }
      : {}),
  });
}
