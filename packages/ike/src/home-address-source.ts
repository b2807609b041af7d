/**
 * RFC 5026 bootstrapping for a Mobile IPv6 mobile node: a home address source that asks the IKE
 * daemon for the home address its home agent assigns in IKE_AUTH (configuration payload), in the
 * shape @mip6sec/mip6's `HomeAddressSource` expects. The shape is declared here, not imported, so
 * IKE does not depend on mip6; the plugin registers under mip6's own token key.
 */
import { type Ip, ipFromBytes, ipToBytes, type Plugin } from '@mip6sec/core';
import { type InjectionToken, instanceCachingFactory } from 'tsyringe';
import { IkeError } from './errors.js';
import type { IkeDaemon } from './ike-daemon.js';
import { IKE_DAEMON } from './tokens.js';

/** What the mobile node needs to start (mip6's HomeAddressAssignment), and what IKE learned besides. */
export interface HomeAddressBootstrap {
  readonly hoa: Ip;
  readonly prefixLen: number;
  /** The home agent: the IKE peer that assigned the address. */
  readonly ha: Ip;
  /** The home prefix, when the home agent sent MIP6_HOME_PREFIX. */
  readonly prefix?: Ip;
  /** Its lifetime in seconds. */
  readonly prefixLifetime?: number;
  /** The IKE SA it came with. */
  readonly ikeSpi?: string;
}

/** Structurally the `HomeAddressSource` of @mip6sec/mip6. */
export interface HomeAddressSourceLike {
  requestHomeAddress(): Promise<HomeAddressBootstrap>;
}

/** The same key as @mip6sec/mip6's HOME_ADDRESS_SOURCE (`Symbol.for` makes them one token). */
export const MIP6_HOME_ADDRESS_SOURCE: InjectionToken<HomeAddressSourceLike> = Symbol.for(
  '@mip6sec/mip6:HomeAddressSource',
);

/**
 * The home prefix's first `prefixLen` bits followed by the interface identifier's remaining bits
 * (RFC 5026 section 4.2.1: the mobile node forms its HoA itself from a prefix). An all-zero
 * interface part (the Subnet-Router anycast address) is refused.
 */
export function homeAddressFromPrefix(prefix: Ip, prefixLen: number, interfaceId: Ip | Uint8Array): Ip {
  const p = ipToBytes(prefix);
  const iid = typeof interfaceId === 'string' ? ipToBytes(interfaceId) : interfaceId;
  if (p.length !== 16 || iid.length !== 16 || prefixLen < 0 || prefixLen >= 128)
    throw new IkeError('EINVAL', `cannot form an IPv6 home address in ${prefix}/${prefixLen}`);
  const out = new Uint8Array(16);
  let hostPart = 0;
  for (let bit = 0; bit < 128; bit++) {
    const fromPrefix = bit < prefixLen;
    const src = fromPrefix ? p : iid;
    const v = (src[bit >> 3]! >> (7 - (bit & 7))) & 1;
    if (!fromPrefix) hostPart |= v;
    out[bit >> 3]! |= v << (7 - (bit & 7));
  }
  if (!hostPart) throw new IkeError('EINVAL', 'the interface identifier leaves the host part all zero');
  return ipFromBytes(out, 0, 6);
}

export interface IkeHomeAddressSourceOptions {
  /** Interface identifier (its low bits are used) when only a prefix is assigned; random by default. */
  readonly interfaceId?: Ip | Uint8Array;
  /** Child configs of the peer to bring up with the IKE SA; default all. */
  readonly children?: readonly string[];
}

/** A mip6 HomeAddressSource backed by the IKE daemon and one configured home agent peer. */
export class IkeHomeAddressSource implements HomeAddressSourceLike {
  private readonly daemon: IkeDaemon;
  private readonly peer: string;
  private readonly options: IkeHomeAddressSourceOptions;

  constructor(daemon: IkeDaemon, peer: string, options: IkeHomeAddressSourceOptions = {}) {
    this.daemon = daemon;
    this.peer = peer;
    this.options = options;
  }

  requestHomeAddress(): Promise<HomeAddressBootstrap> {
    return this.daemon.requestHomeAddress(this.peer, this.options);
  }
}

/**
 * The plugin: provides mip6's HomeAddressSource token from this host's IKE daemon (so
 * `mobileNode({})` without hoa/ha bootstraps through IKE), requires IKE_DAEMON.
 */
export function ikeHomeAddressSource(peerName: string, options: IkeHomeAddressSourceOptions = {}): Plugin {
  return {
    name: '@mip6sec/ike:home-address-source',
    provides: [MIP6_HOME_ADDRESS_SOURCE],
    requires: [IKE_DAEMON],
    register(container) {
      container.register(MIP6_HOME_ADDRESS_SOURCE, {
        useFactory: instanceCachingFactory(
          (c) => new IkeHomeAddressSource(c.resolve(IKE_DAEMON), peerName, options),
        ),
      });
    },
  };
}
