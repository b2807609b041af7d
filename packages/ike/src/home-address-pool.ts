/**
 * The responder's home address pool for Mobile IPv6 bootstrapping (RFC 5026 section 4.2; RFC 4877
 * section 6.1 for INTERNAL_IP6_ADDRESS) and the PAD-like table of which IKE identity owns which
 * home address. Assignments stick to the identity: the same peer gets the same HoA back after a
 * new IKE_SA, until it is released.
 */
import { type Ip, ipFamily, type Prefix, parsePrefix } from '@mip6sec/core';
import { IkeError } from './errors.js';
import { bigintToIp, ipToBigint, prefixRange } from './traffic-selectors.js';

export interface HomeAddressPoolOptions {
  /** The home link prefix addresses come from, e.g. `2001:db8:1::/64`. */
  readonly prefix: string;
  /** Host part of the first address handed out (default 0x100, keeping low ones for routers and the HA). */
  readonly firstHost?: number;
  /** Addresses never handed out (the HA's own, for example). */
  readonly reserved?: readonly Ip[];
  /** MIP6_HOME_PREFIX lifetime in seconds (default 86400). */
  readonly prefixLifetime?: number;
}

export interface HomeAddressAssignment {
  readonly identity: string;
  readonly hoa: Ip;
  readonly prefixLen: number;
}

export class HomeAddressPool {
  readonly prefix: Prefix;
  readonly prefixLifetime: number;
  private readonly start: bigint;
  private readonly end: bigint;
  private next: bigint;
  private readonly byIdentity = new Map<string, HomeAddressAssignment>();
  private readonly byAddress = new Map<Ip, HomeAddressAssignment>();
  private readonly reserved: Set<Ip>;

  constructor(options: HomeAddressPoolOptions) {
    try {
      this.prefix = parsePrefix(options.prefix);
    } catch (e) {
      throw new IkeError('EINVAL', `bad home address pool prefix ${JSON.stringify(options.prefix)}`, {
        cause: e,
      });
    }
    const r = prefixRange(this.prefix);
    this.prefix = { addr: bigintToIp(r.start, r.family), len: this.prefix.len };
    this.start = r.start;
    this.end = r.end;
    const first = BigInt(options.firstHost ?? 0x100);
    this.next = this.start + first > this.end ? this.start + 1n : this.start + first;
    this.reserved = new Set(options.reserved ?? []);
    this.prefixLifetime = options.prefixLifetime ?? 86_400;
  }

  get family(): 4 | 6 {
    return ipFamily(this.prefix.addr);
  }

  /** The current assignment of an identity. */
  lookup(identity: string): HomeAddressAssignment | undefined {
    return this.byIdentity.get(identity);
  }

  /** Who owns an address. */
  owner(hoa: Ip): string | undefined {
    return this.byAddress.get(hoa)?.identity;
  }

  contains(ip: Ip): boolean {
    if (ipFamily(ip) !== this.family) return false;
    const v = ipToBigint(ip);
    return v >= this.start && v <= this.end;
  }

  /**
   * Gives `identity` its address: the one it already has, else `proposed` when it lies in the pool
   * and is free, else the next free one. `changed` tells the caller the proposal was not honoured
   * (RFC 5026's USE_ASSIGNED_HoA). Throws INTERNAL_ADDRESS_FAILURE when the pool is exhausted.
   */
  assign(identity: string, proposed?: Ip): { assignment: HomeAddressAssignment; changed: boolean } {
    const have = this.byIdentity.get(identity);
    if (have) return { assignment: have, changed: proposed !== undefined && proposed !== have.hoa };
    if (proposed !== undefined && this.free(proposed)) {
      return { assignment: this.record(identity, proposed), changed: false };
    }
    for (let v = this.next, n = 0n; n <= this.end - this.start; n++) {
      const ip = bigintToIp(v, this.family);
      v = v >= this.end ? this.start + 1n : v + 1n;
      if (this.free(ip)) {
        this.next = v;
        return { assignment: this.record(identity, ip), changed: proposed !== undefined };
      }
    }
    throw new IkeError(
      'INTERNAL_ADDRESS_FAILURE',
      `home address pool ${this.prefix.addr}/${this.prefix.len} is exhausted`,
    );
  }

  release(identity: string): boolean {
    const a = this.byIdentity.get(identity);
    if (!a) return false;
    this.byIdentity.delete(identity);
    this.byAddress.delete(a.hoa);
    return true;
  }

  /** Every assignment, JSON-able. */
  assignments(): HomeAddressAssignment[] {
    return [...this.byIdentity.values()];
  }

  private free(ip: Ip): boolean {
    if (!this.contains(ip) || this.reserved.has(ip) || this.byAddress.has(ip)) return false;
    const v = ipToBigint(ip);
    // The all-zeros host is the subnet-router anycast address (RFC 4291 section 2.6.1).
    return v !== this.start;
  }

  private record(identity: string, hoa: Ip): HomeAddressAssignment {
    const a = { identity, hoa, prefixLen: this.prefix.len };
    this.byIdentity.set(identity, a);
    this.byAddress.set(hoa, a);
    return a;
  }
}
