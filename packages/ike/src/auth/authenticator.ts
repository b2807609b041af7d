/**
 * The AUTH payload contract (RFC 7296 section 2.15). The daemon computes the signed octets
 * (RealMessage | Nonce | MACedID) and hands them to an Authenticator, so pre-shared keys,
 * certificates (auth/certificate.ts) and later EAP plug in without touching the exchanges.
 */
import type { CryptoProvider } from '@mip6sec/core';
import type { PrfAlgorithm } from '@mip6sec/crypto';
import type { Identity } from '../identity.js';
import type { AuthPayload, CertPayload, IdPayload } from '../payloads/types.js';

/** What an authenticator may use: the negotiated PRF and the identities of this IKE SA. */
export interface AuthContext {
  readonly crypto: CryptoProvider;
  /** The PRF of the IKE SA. */
  readonly prfAlgorithm: PrfAlgorithm;
  prf(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** Identities as text (see identity.ts). */
  readonly localId: string;
  readonly remoteId: string;
  /** The daemon's Clock (milliseconds); certificate validity is checked against it. */
  now?(): number;
  /**
   * Hash algorithms the peer announced in SIGNATURE_HASH_ALGORITHMS (RFC 7427 section 4);
   * undefined when it sent none, so only the older signature methods may be used towards it.
   */
  readonly peerSignatureHashes?: readonly number[];
}

export interface Authenticator {
  /** The Auth Method this authenticator signs with (RFC 7296 section 3.8). */
  readonly method: number;
  /** Authentication Data for our AUTH payload over our signed octets. */
  sign(octets: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /**
   * Checks the peer's AUTH payload over its signed octets; `certs` are the CERT payloads it sent.
   * False, or an IkeError('AUTHENTICATION_FAILED') naming the reason, refuses the peer.
   */
  verify(
    octets: Uint8Array,
    auth: AuthPayload,
    id: IdPayload,
    certs: readonly CertPayload[],
  ): boolean | Promise<boolean>;
  /** CERT payloads to send with our AUTH (none for a PSK). */
  certificates?(): readonly CertPayload[];
}

/**
 * Makes the authenticator of one IKE SA once its keys are known. A plain function will do; the
 * optional properties let the daemon ask for certificates and check the configuration early.
 */
export interface AuthenticatorFactory {
  (ctx: AuthContext): Authenticator;
  /** CERTREQ Certification Authority entries (SHA-1 of each trusted CA's public key) to send. */
  readonly certificateAuthorities?: readonly Uint8Array[];
  /** False when the factory only verifies (no own certificate and key): it cannot be our `auth`. */
  readonly canSign?: boolean;
  /** Our identity when the peer configuration names none (a certificate's subject DN). */
  readonly defaultIdentity?: string;
  /** Whether our credential may claim `id` (a certificate's subject or subjectAltName). */
  readonly bindsIdentity?: (id: Identity) => boolean;
}
