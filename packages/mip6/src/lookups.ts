/**
 * The small lookups the mip6 daemons need from outside, kept minimal so IKE (or the lab) can
 * implement them without knowing mip6:
 *
 * - {@link HomeAddressSource}: a dynamic home address (RFC 5026 bootstrapping via IKEv2
 *   configuration payload) for a mobile node that has none configured.
 * - {@link SaIdentityLookup}: which IKE identity negotiated the SA a packet came through.
 * - {@link HomeAddressAuthorizer}: which identity may register which home address (the HA's PAD
 *   entry of RFC 4877 §4.4, or a configuration-payload assignment).
 *
 * Defaults built from the bus (`ike.*` events) and from configuration are here too.
 */
import {
  type Bus,
  canonicalIp,
  type HomeAddressAuthorization,
  type Ip,
  type SaId,
  saKey,
} from '@mip6sec/core';
import type { Subscription } from 'rxjs';

/** A home address handed out at bootstrap (RFC 5026 §4.2.2, RFC 4877 §6). */
export interface HomeAddressAssignment {
  readonly hoa: Ip;
  readonly prefixLen: number;
  readonly ha: Ip;
}

/** Gives a mobile node its home address and home agent when configuration does not. */
export interface HomeAddressSource {
  requestHomeAddress(): Promise<HomeAddressAssignment>;
}

/** Names the IKE identity (IDi of the peer) behind an inbound SA. */
export interface SaIdentityLookup {
  /** @returns the peer identity that negotiated `sa`, or undefined when no IKE SA is known for it. */
  identityForSa(sa: SaId): string | undefined;
}

/** Decides whether an identity may register a home address at this home agent. */
export interface HomeAddressAuthorizer {
  /** True when `identity` is bound to `hoa` (PAD entry or configuration-payload assignment). */
  isAuthorized(identity: string, hoa: Ip): boolean;
  /** True when this home agent serves `hoa` for anyone at all (false leads to BA status 133). */
  servesHomeAddress(hoa: Ip): boolean;
}

/** A PAD-like table: identity -> home addresses, filled from configuration and assignments. */
export class PadAuthorizer implements HomeAddressAuthorizer {
  private readonly byHoa = new Map<Ip, Set<string>>();

  constructor(entries: readonly HomeAddressAuthorization[] = []) {
    for (const e of entries) this.add(e);
  }

  add(entry: HomeAddressAuthorization): void {
    const hoa = canonicalIp(entry.hoa);
    let ids = this.byHoa.get(hoa);
    if (!ids) {
      ids = new Set();
      this.byHoa.set(hoa, ids);
    }
    ids.add(entry.identity);
  }

  remove(entry: HomeAddressAuthorization): void {
    const hoa = canonicalIp(entry.hoa);
    const ids = this.byHoa.get(hoa);
    ids?.delete(entry.identity);
    if (ids?.size === 0) this.byHoa.delete(hoa);
  }

  isAuthorized(identity: string, hoa: Ip): boolean {
    return this.byHoa.get(hoa)?.has(identity) ?? false;
  }

  servesHomeAddress(hoa: Ip): boolean {
    return this.byHoa.has(hoa);
  }

  homeAddresses(): Ip[] {
    return [...this.byHoa.keys()];
  }
}

/**
 * An {@link SaIdentityLookup} that follows the IKE daemon's bus events: `ike.sa-established`
 * names the peer identity of an IKE SA, `ike.child-installed` the inbound SAs under it,
 * `ike.sa-deleted` forgets both.
 */
export class IkeEventSaIdentities implements SaIdentityLookup {
  private readonly identityOfIke = new Map<string, string>();
  private readonly ikeOfSa = new Map<string, string>();
  /** The other way round, so forgetting an IKE SA does not walk every SA a home agent holds. */
  private readonly sasOfIke = new Map<string, Set<string>>();
  private readonly sub: Subscription;

  constructor(bus: Bus) {
    this.sub = bus.events.subscribe((e) => {
      switch (e.type) {
        case 'ike.sa-established':
          this.identityOfIke.set(e.ikeSpi, e.remoteId);
          break;
        case 'ike.child-installed': {
          const key = saKey(e.inbound);
          const before = this.ikeOfSa.get(key);
          if (before !== undefined) this.sasOfIke.get(before)?.delete(key);
          this.ikeOfSa.set(key, e.ikeSpi);
          let mine = this.sasOfIke.get(e.ikeSpi);
          if (!mine) {
            mine = new Set();
            this.sasOfIke.set(e.ikeSpi, mine);
          }
          mine.add(key);
          break;
        }
        case 'ike.sa-deleted':
          this.identityOfIke.delete(e.ikeSpi);
          for (const k of this.sasOfIke.get(e.ikeSpi) ?? []) this.ikeOfSa.delete(k);
          this.sasOfIke.delete(e.ikeSpi);
          break;
        default:
      }
    });
  }

  identityForSa(sa: SaId): string | undefined {
    const ike = this.ikeOfSa.get(saKey(sa));
    return ike === undefined ? undefined : this.identityOfIke.get(ike);
  }

  dispose(): void {
    this.sub.unsubscribe();
  }
}
