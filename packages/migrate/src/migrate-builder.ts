/**
 * SADB_X_MIGRATE requests for one binding, per policy: an old/new endpoint pair for each template
 * and the kmaddress IKE must use from now on (draft-ebalard-mext-pfkey-enhanced-migrate 4; UMIP sends
 * one message per policy, with the selector it installed).
 *
 * Tunnel templates to the HA move their mobile-node end. Transport templates (BU/BA, MPS/MPA) hold
 * no addresses and their SAs stay on the HoA (RFC 3776 4.2), so their pair is old = new = the SA's
 * own endpoints: the kernel matches the template, leaves the SA as it is, and the message still
 * carries the kmaddress, which is how IKE learns to negotiate the BU/BA SA from the care-of address.
 */
import type {
  HostRole,
  Ip,
  IpsecRequest,
  KmAddress,
  MigrateBundle,
  MigrateRequest,
  SecurityAssociation,
  SecurityPolicy,
} from '@mip6sec/core';
import {
  type BindingKey,
  isHoaHaSelector,
  isTunnelToHa,
  mnEndpoint,
  policiesOfBinding,
  prefixContains,
  tunnelEndpoints,
} from '@mip6sec/core';

/** Linux XFRM_MAX_DEPTH: at most six old/new pairs per MIGRATE. */
export const MIGRATE_MAX_PAIRS = 6;

export interface MoveSpec extends BindingKey {
  readonly role: HostRole;
  /** The mobile node's address the SAs are bound to now (HoA at home). */
  readonly from: Ip;
  /** Its address from now on. */
  readonly to: Ip;
}

/** The kmaddress as the writer sees it: local is always this node's address (UMIP, RFC 4877). */
export function kmaddressFor(role: HostRole, ha: Ip, mn: Ip): KmAddress {
  return role === 'ha' ? { local: ha, remote: mn } : { local: mn, remote: ha };
}

function bundle(t: IpsecRequest, old: { src: Ip; dst: Ip }, next: { src: Ip; dst: Ip }): MigrateBundle {
  return {
    proto: t.proto,
    mode: t.mode,
    level: t.level,
    reqid: t.reqid,
    oldSrc: old.src,
    oldDst: old.dst,
    newSrc: next.src,
    newDst: next.dst,
  };
}

/** The SA endpoints of a transport template: explicit ones, else the selector's host addresses. */
function transportEndpoints(p: SecurityPolicy, t: IpsecRequest): { src: Ip; dst: Ip } {
  return { src: t.src ?? p.selector.src.addr, dst: t.dst ?? p.selector.dst.addr };
}

function bundleKey(b: MigrateBundle): string {
  return `${b.proto} ${b.mode} ${b.reqid} ${b.oldSrc} ${b.oldDst}`;
}

/**
 * Splits a policy's pairs into requests of at most six, dropping duplicates (the kernel refuses
 * them). With an anchor (a pair the kernel's template matches), every request carries it first.
 */
function requestsFor(
  p: SecurityPolicy,
  bundles: MigrateBundle[],
  kmaddress: KmAddress,
  anchor?: MigrateBundle,
): MigrateRequest[] {
  const seen = new Set<string>(anchor ? [bundleKey(anchor)] : []);
  const unique = bundles.filter((b) => {
    const k = bundleKey(b);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  const per = anchor ? MIGRATE_MAX_PAIRS - 1 : MIGRATE_MAX_PAIRS;
  const out: MigrateRequest[] = [];
  for (let i = 0; i < unique.length; i += per) {
    const chunk = unique.slice(i, i + per);
    out.push({ selector: p.selector, dir: p.dir, bundles: anchor ? [anchor, ...chunk] : chunk, kmaddress });
  }
  return out;
}

/**
 * The MIGRATEs of one move, as the draft's MIPv6 daemon writes them: old pairs from what the daemon
 * believes the SAs are bound to (`from`), not from what the kernel holds. A lost earlier MIGRATE
 * therefore shows up as ENODATA here, as it would with UMIP; repairing it is the reconciler's job.
 */
export function buildMigrates(policies: readonly SecurityPolicy[], move: MoveSpec): MigrateRequest[] {
  const kmaddress = kmaddressFor(move.role, move.ha, move.to);
  const out: MigrateRequest[] = [];
  for (const p of policiesOfBinding(policies, move)) {
    const bundles: MigrateBundle[] = [];
    for (const t of p.templates) {
      if (isTunnelToHa(t, move.ha)) {
        bundles.push(bundle(t, tunnelEndpoints(t, move.ha, move.from), tunnelEndpoints(t, move.ha, move.to)));
      } else if (t.mode === 'transport' && isHoaHaSelector(p.selector, move)) {
        const e = transportEndpoints(p, t);
        bundles.push(bundle(t, e, e));
      }
    }
    out.push(...requestsFor(p, bundles, kmaddress));
  }
  return out;
}

/** What the SPD image (the kmaddress last broadcast for a policy) currently says. */
export interface KmaddressLookup {
  forPolicy(p: Pick<SecurityPolicy, 'selector' | 'dir'>): KmAddress | undefined;
}

export interface BindingState extends BindingKey {
  readonly coa: Ip;
}

export interface RepairScope extends BindingState {
  /** Addresses this binding's SAs were bound to before (HoA, earlier CoAs): only SAs there are moved. */
  readonly previous: ReadonlySet<Ip>;
}

/** True when an SA's inner selector, if it has one, carries this home address. */
function carriesHoa(sa: SecurityAssociation, hoa: Ip): boolean {
  const s = sa.selector;
  if (!s) return true;
  // A wildcard side (::/0) says nothing about whose traffic it is; the other side must hold the HoA.
  return (s.src.len > 0 && prefixContains(s.src, hoa)) || (s.dst.len > 0 && prefixContains(s.dst, hoa));
}

/**
 * The MIGRATEs that bring the kernel's SPD, SAD and kmaddress image to the binding's CoA, built
 * from what the kernel holds now. Empty when everything is consistent, so a second run issues
 * nothing. Per policy:
 *
 * - a tunnel template off the CoA: old pair = its current endpoints, new pair = the CoA's;
 * - tunnel SAs of the template's reqid still on an earlier address of this binding (a lost MIGRATE
 *   after which the MIPv6 daemon re-pointed the policy itself, or IKE installing an SA on the old
 *   CoA during the handover): old pair = the SA's endpoints. No template has that pair any more, so
 *   the request also carries the template's own pair unchanged as an anchor; the kernel needs one
 *   matching entry and skips entries that match no template;
 * - otherwise, a wrong kmaddress hint (or none, for transport policies, whose template gives IKE no
 *   address): the template pairs unchanged, which re-delivers the kmaddress and moves nothing.
 */
export function planRepairs(
  policies: readonly SecurityPolicy[],
  sas: readonly SecurityAssociation[],
  image: KmaddressLookup,
  scope: RepairScope,
  role: HostRole,
): MigrateRequest[] {
  const kmaddress = kmaddressFor(role, scope.ha, scope.coa);
  const claimed = new Set<SecurityAssociation>();
  const out: MigrateRequest[] = [];
  for (const p of policiesOfBinding(policies, scope)) {
    const bundles: MigrateBundle[] = [];
    const anchors: MigrateBundle[] = [];
    for (const t of p.templates) {
      const mn = mnEndpoint(t, scope.ha);
      if (mn === undefined) continue;
      const target = tunnelEndpoints(t, scope.ha, scope.coa);
      if (mn !== scope.coa) {
        bundles.push(bundle(t, tunnelEndpoints(t, scope.ha, mn), target));
        continue;
      }
      anchors.push(bundle(t, target, target));
      const haIsSrc = t.src === scope.ha;
      for (const sa of sas) {
        if (claimed.has(sa) || sa.mode !== 'tunnel' || sa.proto !== t.proto || sa.reqid !== t.reqid) continue;
        if (sa.state === 'dead' || sa.state === 'larval') continue;
        const saMn = haIsSrc
          ? sa.src === scope.ha
            ? sa.dst
            : undefined
          : sa.dst === scope.ha
            ? sa.src
            : undefined;
        if (
          saMn === undefined ||
          saMn === scope.coa ||
          !scope.previous.has(saMn) ||
          !carriesHoa(sa, scope.hoa)
        ) {
          continue;
        }
        claimed.add(sa);
        bundles.push(bundle(t, { src: sa.src, dst: sa.dst }, target));
      }
    }
    if (bundles.length > 0) {
      // An anchor only when no template pair moves: the kernel must find one matching entry.
      const movesTemplate = bundles.some((b) =>
        p.templates.some((t) => t.src === b.oldSrc && t.dst === b.oldDst),
      );
      out.push(...requestsFor(p, bundles, kmaddress, movesTemplate ? undefined : anchors[0]));
      continue;
    }
    const known = image.forPolicy(p);
    const hasTunnel = anchors.length > 0;
    if (known ? known.local === kmaddress.local && known.remote === kmaddress.remote : hasTunnel) continue;
    const refresh = [...anchors];
    for (const t of p.templates) {
      if (t.mode === 'transport' && isHoaHaSelector(p.selector, scope)) {
        const e = transportEndpoints(p, t);
        refresh.push(bundle(t, e, e));
      }
    }
    out.push(...requestsFor(p, refresh, kmaddress));
  }
  return out;
}
