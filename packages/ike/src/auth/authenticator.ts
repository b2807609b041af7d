/**
 * The AUTH payload contract (RFC 7296 section 2.15). The daemon computes the signed octets
 * (RealMessage | Nonce | MACedID) and hands them to an Authenticator, so pre-shared keys, and
 * later certificates or EAP, plug in without touching the exchanges.
 */
import type { CryptoProvider } from '@mip6sec/core';
import type { PrfAlgorithm } from '@mip6sec/crypto';
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
}

export interface Authenticator {
  /** The Auth Method this authenticator signs with (RFC 7296 section 3.8). */
  readonly method: number;
  /** Authentication Data for our AUTH payload over our signed octets. */
  sign(octets: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** Checks the peer's AUTH payload over its signed octets; `certs` are the CERT payloads it sent. */
  verify(
    octets: Uint8Array,
    auth: AuthPayload,
    id: IdPayload,
    certs: readonly CertPayload[],
  ): boolean | Promise<boolean>;
  /** CERT payloads to send with our AUTH (none for a PSK). */
  certificates?(): readonly CertPayload[];
}

/** Makes the authenticator of one IKE SA once its keys are known. */
export type AuthenticatorFactory = (ctx: AuthContext) => Authenticator;
