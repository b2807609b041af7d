/**
 * @packageDocumentation
 * IKEv2 (RFC 7296) daemon with MOBIKE (RFC 4555) and Mobile IPv6 bootstrapping (RFC 5026),
 * written against core's KernelBackend, Transport, CryptoProvider and Clock contracts: the message
 * codec, proposals and key derivation, the exchanges, and a daemon that negotiates on ACQUIRE,
 * rekeys on EXPIRE and follows MIGRATE.
 *
 * @example
 * ```ts
 * import { ikeDaemon, IKE_DAEMON } from '@mip6sec/ike';
 * const plugin = ikeDaemon({
 *   peers: [{ name: 'ha', local: '2001:db8:1::10', remote: '2001:db8::1', auth: { psk: 'secret' },
 *             ike: ['aes256gcm16-prfsha384-ecp384'],
 *             children: [{ name: 'mh', mode: 'transport', localTs: ['dynamic[135]'], remoteTs: ['dynamic[135]'] }] }],
 * });
 * // host = new Host(root, { name: 'mn', role: 'mn', clock, plugins: [kernel, crypto, transport, plugin] });
 * // const ike = host.resolve(IKE_DAEMON); await ike.start(); await ike.initiate('ha');
 * ```
 */
export type { AuthContext, Authenticator, AuthenticatorFactory } from './auth/authenticator.js';
export {
  type CertificateAuthOptions,
  type CertificateCredential,
  certificateAuthenticator,
  loadCredential,
} from './auth/certificate.js';
export { type DnAttribute, decodeDn, encodeDn, formatDn, parseDn } from './auth/dn.js';
export { pskAuthData, pskAuthenticator } from './auth/psk.js';
export {
  chooseScheme,
  legacyMethod,
  SIGNATURE_SCHEMES,
  type SignatureScheme,
  SUPPORTED_HASHES,
  schemeOf,
  signAuth,
  type VerifyResult,
  verifyAuth,
} from './auth/signature.js';
export { signedOctets } from './auth/signed-octets.js';
export {
  type AltName,
  type Certificate,
  CertificateError,
  type CertificateSource,
  caKeyHash,
  certificateBinds,
  certificateIdentities,
  loadCertificates,
  loadPrivateKey,
  parseCertificate,
  validateChain,
} from './auth/x509.js';
export {
  benchIkeSetups,
  benchResponder,
  percentile,
  type ResponderBenchOptions,
  type SetupBenchOptions,
  type SetupBenchResult,
} from './bench-driver.js';
export * from './bytes.js';
export type { ChildKeysByDirection, ChildSpec, ChildState } from './child-sa.js';
export * from './config.js';
export * from './constants.js';
export { CookieJar } from './cookies.js';
export * from './crypto/algorithms.js';
export * from './crypto/keymat.js';
export * from './crypto/proposals.js';
export { SkCipher, type SkKeys } from './crypto/sk-cipher.js';
export { IkeError, type IkeErrorCode } from './errors.js';
export {
  type HomeAddressAssignment,
  HomeAddressPool,
  type HomeAddressPoolOptions,
} from './home-address-pool.js';
export {
  type HomeAddressBootstrap,
  type HomeAddressSourceLike,
  homeAddressFromPrefix,
  IkeHomeAddressSource,
  type IkeHomeAddressSourceOptions,
  ikeHomeAddressSource,
  MIP6_HOME_ADDRESS_SOURCE,
} from './home-address-source.js';
export {
  formatIdentity,
  type Identity,
  identityMatches,
  parseIdentity,
  sameIdentity,
} from './identity.js';
export {
  type ChildSaListing,
  IkeDaemon,
  type IkeSaListing,
  type InitiateOptions,
  type InitiateResult,
} from './ike-daemon.js';
export { MemoryNetwork } from './memory-transport.js';
export {
  decodeHeader,
  decodeMessage,
  encodeHeader,
  encodeMessage,
  type IkeHeader,
  type IkeMessage,
} from './message.js';
export { natBehind, natHash } from './nat-detection.js';
export { decodePayloads, encodePayloads, payloadType } from './payloads/chain.js';
export type * from './payloads/types.js';
export { ikeDaemon } from './plugin.js';
export { DEFAULT_RETRANSMIT, type RetransmitPolicy, Retransmitter } from './retransmit.js';
export { SpdImage } from './spd-image.js';
export { IKE_CONFIG, IKE_DAEMON } from './tokens.js';
export * from './traffic-selectors.js';
export { UdpTransport, type UdpTransportOptions } from './udp-transport.js';
