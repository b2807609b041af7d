/**
 * Daemon, peer and CHILD_SA configuration, in the spirit of strongSwan's swanctl.conf
 * (connections.<conn> / children.<child>), and its normalization: proposals parsed, identities
 * and traffic selectors checked, so a bad configuration fails when the daemon is built.
 */
import { type Ip, isIp } from '@mip6sec/core';
import type { AuthenticatorFactory } from './auth/authenticator.js';
import { type CertificateAuthOptions, certificateAuthenticator } from './auth/certificate.js';
import { pskAuthenticator } from './auth/psk.js';
import { type ProposalSpec, parseProposals } from './crypto/proposals.js';
import { IkeError } from './errors.js';
import { HomeAddressPool, type HomeAddressPoolOptions } from './home-address-pool.js';
import { formatIdentity, parseIdentity } from './identity.js';
import { DEFAULT_RETRANSMIT, type RetransmitPolicy } from './retransmit.js';
import { parseTs, type TsSpec } from './traffic-selectors.js';

/**
 * How one side authenticates: a pre-shared key; X.509 certificates (`{ cert, key, ca }`, PEM or
 * DER; `{ ca }` alone verifies peers only, see CertificateAuthOptions); or any authenticator
 * factory (EAP, ...).
 */
export type AuthSpec =
  | { readonly psk: string | Uint8Array }
  | ({ readonly psk?: undefined; readonly authenticator?: undefined } & CertificateAuthOptions)
  | { readonly authenticator: AuthenticatorFactory };

export interface ChildConfig {
  readonly name: string;
  /** Default 'tunnel'. */
  readonly mode?: 'tunnel' | 'transport';
  /** ESP proposals in strongSwan syntax; default `aes128gcm16`, `aes128-sha256`. */
  readonly esp?: readonly string[];
  /** Our side's selectors (`dynamic`, a prefix, `prefix[proto/port]`); default `dynamic`. */
  readonly localTs?: readonly string[];
  /** The peer's side; default `dynamic` (its IKE address, or the home address assigned to it). */
  readonly remoteTs?: readonly string[];
  /** Fixed reqid (the SPD's templates refer to it); allocated when absent. */
  readonly reqid?: number;
  /** Seconds until the CHILD_SA is rekeyed (soft lifetime), default 3600; 0 = never. */
  readonly rekeySeconds?: number;
  /** Seconds until it dies (hard lifetime), default rekeySeconds * 1.1. */
  readonly lifetimeSeconds?: number;
  readonly replayWindow?: number;
}

export interface HomeAddressRequest {
  /** Ask for a whole address with INTERNAL_IP6_ADDRESS (RFC 4877), default true. */
  readonly address?: boolean;
  /** Ask for the home prefix with MIP6_HOME_PREFIX (RFC 5026), default true. */
  readonly prefix?: boolean;
  /** An address to propose (the HA may answer USE_ASSIGNED_HoA with another). */
  readonly proposed?: Ip;
}

export interface PeerConfig {
  readonly name: string;
  /** Our address; absent: any local address (responder), or the resolver's / template's choice. */
  readonly local?: Ip;
  /** The peer's address; absent: any (responder only, or learned from ACQUIRE / the resolver). */
  readonly remote?: Ip;
  /** The peer's IKE port, default 500. */
  readonly remotePort?: number;
  /** Our identity, default our IKE address. */
  readonly localId?: string;
  /** The identity the peer must prove, default `%any`. */
  readonly remoteId?: string;
  /** How we authenticate (and, unless `remoteAuth` is set, how the peer must). */
  readonly auth: AuthSpec;
  readonly remoteAuth?: AuthSpec;
  /** IKE proposals; default `aes128-sha256-modp2048`. */
  readonly ike?: readonly string[];
  /** ESP proposals for CHILD_SAs the SPD asks for (ACQUIRE) with no matching child config. */
  readonly esp?: readonly string[];
  readonly children?: readonly ChildConfig[];
  /** RFC 4555; default true. */
  readonly mobike?: boolean;
  /** Pretend a NAT is there so ESP goes in UDP (strongSwan `encap = yes`). */
  readonly forceEncap?: boolean;
  /** Initiator: ask for a home address / prefix in IKE_AUTH (RFC 5026). */
  readonly requestHomeAddress?: boolean | HomeAddressRequest;
  /** Responder: assign home addresses from this pool. A pool object may be shared between peers. */
  readonly homeAddressPool?: HomeAddressPoolOptions | HomeAddressPool;
  /** Seconds until the IKE SA is rekeyed, default 0 (never). */
  readonly rekeySeconds?: number;
  /** Liveness check after this many idle milliseconds (overrides the daemon's `dpdDelay`). */
  readonly dpdDelay?: number;
  /** Send INITIAL_CONTACT when no other IKE SA with this peer exists, default true. */
  readonly initialContact?: boolean;
  /** Responder: when no child config matches, narrow against the kernel SPD (policies the MIPv6 stack installed). Default true. */
  readonly childrenFromSpd?: boolean;
}

export interface IkeDaemonConfig {
  /** Addresses to bind; default the unspecified IPv4 and IPv6 addresses. */
  readonly listen?: readonly Ip[];
  /** Default 500. */
  readonly port?: number;
  /** Default 4500 (RFC 3948 NAT-T and MOBIKE). */
  readonly nattPort?: number;
  readonly peers?: readonly PeerConfig[];
  readonly retransmit?: RetransmitPolicy;
  /**
   * Cookies (RFC 7296 section 2.6) start when this many IKE_SAs are half-open; 0 means always,
   * absent means never.
   */
  readonly cookieThreshold?: number;
  /** Milliseconds a half-open responder IKE_SA may wait for IKE_AUTH, default 30000. */
  readonly halfOpenTimeout?: number;
  /** Liveness check after this many idle milliseconds, default 0 (off). */
  readonly dpdDelay?: number;
  /** Keep the MSRD reference of ACQUIRE / the resolver with the CHILD_SA and IKE_SA. */
  readonly storeRef?: boolean;
  /** Fraction of a rekey time taken off at random, so both ends rarely rekey at once; default 0.1. */
  readonly rekeyJitter?: number;
  /** First reqid the daemon allocates, default 0x4000. */
  readonly reqidBase?: number;
  /** Nonce length in bytes (16..256), default 32. */
  readonly nonceLength?: number;
  /** Rekey (soft) seconds of CHILD_SAs the SPD asks for without a child config, default 3600. */
  readonly childRekeySeconds?: number;
  /** Their hard lifetime, default 1.1 times the rekey time. */
  readonly childLifetimeSeconds?: number;
  /** IKE fragmentation (RFC 7383), offered and used when the peer supports it; default on. */
  readonly fragmentation?: boolean | FragmentationConfig;
  /**
   * Window size (RFC 7296 section 2.3): requests of the peer we take before answering the oldest,
   * announced with SET_WINDOW_SIZE when above 1, and the most requests we send at once (never
   * more than the peer announced). Default 1, 1..64.
   */
  readonly windowSize?: number;
  /** stop() deletes every IKE SA (DELETE to the peer, CHILD_SAs out of the kernel). Default false. */
  readonly deleteOnStop?: boolean;
  /** Milliseconds stop() waits for the peers to answer those DELETEs, default 2000. */
  readonly stopTimeout?: number;
  /** Least milliseconds between two INVALID_MESSAGE_ID notifies on one IKE SA, default 1000. */
  readonly invalidMessageIdInterval?: number;
}

export interface FragmentationConfig {
  /** Largest IPv4 datagram (IP and UDP headers included) an IKE message may fill, default 576. */
  readonly ipv4?: number;
  /** The same for IPv6, default 1280. */
  readonly ipv6?: number;
  /** Most fragments a message we reassemble may have, default 64. */
  readonly maxFragments?: number;
  /** Most bytes a reassembled message may hold, default 65535. */
  readonly maxBytes?: number;
  /** Milliseconds an incomplete message is kept, default 10000. */
  readonly reassemblyTimeout?: number;
}

export interface ResolvedFragmentation {
  readonly enabled: boolean;
  readonly ipv4: number;
  readonly ipv6: number;
  readonly maxFragments: number;
  readonly maxBytes: number;
  readonly reassemblyTimeout: number;
}

export interface ResolvedChild {
  readonly config: ChildConfig;
  readonly name: string;
  readonly mode: 'tunnel' | 'transport';
  readonly esp: readonly ProposalSpec[];
  readonly localTs: readonly TsSpec[];
  readonly remoteTs: readonly TsSpec[];
  readonly reqid?: number;
  readonly rekeySeconds: number;
  readonly lifetimeSeconds: number;
  readonly replayWindow: number;
}

export interface ResolvedPeer {
  readonly config: PeerConfig;
  readonly name: string;
  readonly ike: readonly ProposalSpec[];
  readonly esp: readonly ProposalSpec[];
  readonly auth: AuthenticatorFactory;
  readonly remoteAuth: AuthenticatorFactory;
  /** Our identity text: `localId`, else the certificate's subject DN; absent means our IKE address. */
  readonly localId?: string;
  readonly children: readonly ResolvedChild[];
  readonly mobike: boolean;
  readonly pool?: HomeAddressPool;
  readonly homeAddress?: HomeAddressRequest;
}

export const DEFAULT_IKE_PROPOSALS = ['aes128-sha256-modp2048'];
export const DEFAULT_ESP_PROPOSALS = ['aes128gcm16', 'aes128-sha256'];
export const DEFAULT_CHILD_REKEY = 3600;

function authFactory(a: AuthSpec, where: string): AuthenticatorFactory {
  if ('psk' in a && a.psk !== undefined) return pskAuthenticator(a.psk);
  if ('authenticator' in a && typeof a.authenticator === 'function') return a.authenticator;
  if ('cert' in a || 'ca' in a) {
    try {
      return certificateAuthenticator(a as CertificateAuthOptions);
    } catch (e) {
      throw new IkeError('EINVAL', `${where}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
  throw new IkeError(
    'EINVAL',
    `${where}: auth needs a psk, a cert and key (or ca), or an authenticator factory`,
  );
}

export function resolveChild(c: ChildConfig, where: string): ResolvedChild {
  const mode = c.mode ?? 'tunnel';
  if (mode !== 'tunnel' && mode !== 'transport')
    throw new IkeError('EINVAL', `${where}: bad mode ${String(mode)}`);
  const rekeySeconds = c.rekeySeconds ?? DEFAULT_CHILD_REKEY;
  const lifetimeSeconds = c.lifetimeSeconds ?? Math.ceil(rekeySeconds * 1.1);
  if (
    rekeySeconds < 0 ||
    lifetimeSeconds < 0 ||
    (rekeySeconds > 0 && lifetimeSeconds > 0 && lifetimeSeconds < rekeySeconds)
  ) {
    throw new IkeError('EINVAL', `${where}: lifetime must not be shorter than the rekey time`);
  }
  return {
    config: c,
    name: c.name,
    mode,
    esp: parseProposals(c.esp ?? DEFAULT_ESP_PROPOSALS, 'esp'),
    localTs: (c.localTs ?? ['dynamic']).map(parseTs),
    remoteTs: (c.remoteTs ?? ['dynamic']).map(parseTs),
    ...(c.reqid !== undefined ? { reqid: c.reqid } : {}),
    rekeySeconds,
    lifetimeSeconds,
    replayWindow: c.replayWindow ?? 32,
  };
}

/** Checks and parses a peer configuration; throws IkeError('EINVAL') naming the bad field. */
export function resolvePeer(
  p: PeerConfig,
  sharedPools?: Map<HomeAddressPoolOptions, HomeAddressPool>,
): ResolvedPeer {
  const where = `peer ${p.name}`;
  if (!p.name) throw new IkeError('EINVAL', 'peer without a name');
  for (const [field, ip] of [
    ['local', p.local],
    ['remote', p.remote],
  ] as const)
    if (ip !== undefined && !isIp(ip))
      throw new IkeError('EINVAL', `${where}: ${field} ${JSON.stringify(ip)} is not an address`);
  if (p.localId !== undefined) parseIdentity(p.localId);
  if (p.remoteId !== undefined && p.remoteId !== '%any') parseIdentity(p.remoteId);
  let pool: HomeAddressPool | undefined;
  if (p.homeAddressPool instanceof HomeAddressPool) pool = p.homeAddressPool;
  else if (p.homeAddressPool) {
    pool = sharedPools?.get(p.homeAddressPool) ?? new HomeAddressPool(p.homeAddressPool);
    sharedPools?.set(p.homeAddressPool, pool);
  }
  const ha =
    p.requestHomeAddress === true ? {} : p.requestHomeAddress === false ? undefined : p.requestHomeAddress;
  const auth = authFactory(p.auth, where);
  if (auth.canSign === false)
    throw new IkeError('EINVAL', `${where}: auth cannot authenticate us (a certificate needs its key)`);
  const remoteAuth = p.remoteAuth ? authFactory(p.remoteAuth, `${where} remoteAuth`) : auth;
  if (remoteAuth.certificateAuthorities?.length === 0)
    throw new IkeError('EINVAL', `${where}: peers authenticating by certificate need a ca to chain to`);
  const localId = p.localId ?? auth.defaultIdentity;
  if (p.localId !== undefined && auth.bindsIdentity && !auth.bindsIdentity(parseIdentity(p.localId)))
    throw new IkeError(
      'EINVAL',
      `${where}: the certificate names neither subject nor subjectAltName ${formatIdentity(parseIdentity(p.localId))}`,
    );
  const names = new Set<string>();
  const children = (p.children ?? []).map((c) => {
    if (names.has(c.name)) throw new IkeError('EINVAL', `${where}: two children named ${c.name}`);
    names.add(c.name);
    return resolveChild(c, `${where} child ${c.name}`);
  });
  return {
    config: p,
    name: p.name,
    ike: parseProposals(p.ike ?? DEFAULT_IKE_PROPOSALS, 'ike'),
    esp: parseProposals(p.esp ?? DEFAULT_ESP_PROPOSALS, 'esp'),
    auth,
    remoteAuth,
    ...(localId !== undefined ? { localId } : {}),
    children,
    mobike: p.mobike ?? true,
    ...(pool ? { pool } : {}),
    ...(ha ? { homeAddress: ha } : {}),
  };
}

export interface ResolvedDaemonConfig {
  readonly listen: readonly Ip[];
  readonly port: number;
  readonly nattPort: number;
  readonly peers: ResolvedPeer[];
  readonly retransmit: RetransmitPolicy;
  readonly cookieThreshold: number | undefined;
  readonly halfOpenTimeout: number;
  readonly dpdDelay: number;
  readonly storeRef: boolean;
  readonly rekeyJitter: number;
  readonly reqidBase: number;
  readonly nonceLength: number;
  readonly childRekeySeconds: number;
  readonly childLifetimeSeconds: number;
  readonly fragmentation: ResolvedFragmentation;
  readonly windowSize: number;
  readonly deleteOnStop: boolean;
  readonly stopTimeout: number;
  readonly invalidMessageIdInterval: number;
}

function resolveFragmentation(f: IkeDaemonConfig['fragmentation']): ResolvedFragmentation {
  const o = typeof f === 'object' ? f : {};
  const r = {
    enabled: f !== false,
    ipv4: o.ipv4 ?? 576,
    ipv6: o.ipv6 ?? 1280,
    maxFragments: o.maxFragments ?? 64,
    maxBytes: o.maxBytes ?? 65535,
    reassemblyTimeout: o.reassemblyTimeout ?? 10_000,
  };
  // Room for the IP, UDP, non-ESP marker, IKE and SKF headers, IV, ICV and one block at least.
  if (r.ipv4 < 256 || r.ipv4 > 65535 || r.ipv6 < 256 || r.ipv6 > 65535)
    throw new IkeError('EINVAL', 'fragment sizes must be 256 to 65535 bytes');
  if (r.maxFragments < 1 || r.maxFragments > 65535 || r.maxBytes < 1 || r.reassemblyTimeout <= 0)
    throw new IkeError('EINVAL', 'fragment reassembly limits must be positive');
  return r;
}

export function resolveConfig(c: IkeDaemonConfig): ResolvedDaemonConfig {
  const pools = new Map<HomeAddressPoolOptions, HomeAddressPool>();
  const nonceLength = c.nonceLength ?? 32;
  if (nonceLength < 16 || nonceLength > 256)
    throw new IkeError('EINVAL', 'nonce length must be 16 to 256 bytes');
  for (const ip of c.listen ?? [])
    if (!isIp(ip)) throw new IkeError('EINVAL', `listen address ${JSON.stringify(ip)} is not an address`);
  const windowSize = c.windowSize ?? 1;
  if (!Number.isInteger(windowSize) || windowSize < 1 || windowSize > 64)
    throw new IkeError('EINVAL', 'window size must be 1 to 64');
  const names = new Set<string>();
  const peers = (c.peers ?? []).map((p) => {
    if (names.has(p.name)) throw new IkeError('EINVAL', `two peers named ${p.name}`);
    names.add(p.name);
    return resolvePeer(p, pools);
  });
  return {
    listen: c.listen ?? ['0.0.0.0', '::'],
    port: c.port ?? 500,
    nattPort: c.nattPort ?? 4500,
    peers,
    retransmit: c.retransmit ?? DEFAULT_RETRANSMIT,
    cookieThreshold: c.cookieThreshold,
    halfOpenTimeout: c.halfOpenTimeout ?? 30_000,
    dpdDelay: c.dpdDelay ?? 0,
    storeRef: c.storeRef ?? false,
    rekeyJitter: c.rekeyJitter ?? 0.1,
    reqidBase: c.reqidBase ?? 0x4000,
    nonceLength,
    childRekeySeconds: c.childRekeySeconds ?? DEFAULT_CHILD_REKEY,
    childLifetimeSeconds:
      c.childLifetimeSeconds ?? Math.ceil((c.childRekeySeconds ?? DEFAULT_CHILD_REKEY) * 1.1),
    fragmentation: resolveFragmentation(c.fragmentation),
    windowSize,
    deleteOnStop: c.deleteOnStop ?? false,
    stopTimeout: c.stopTimeout ?? 2000,
    invalidMessageIdInterval: c.invalidMessageIdInterval ?? 1000,
  };
}
