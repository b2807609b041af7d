/**
 * The SPD entries that protect Mobile IPv6 signalling between a mobile node and its home agent
 * (RFC 4877 §4–5, updating RFC 3776 §4–5), as the mip6 daemon installs them (it owns the SPD, as
 * UMIP does; IKE only negotiates SAs for them, matched by reqid):
 *
 * - BU (MH type 5) HoA -> HA and BA (MH type 6) HA -> HoA: ESP transport. The MN-side address is
 *   the HoA, so these entries never change on movement (HAO and RH2 are processed outside ESP).
 * - MPS/MPA (ICMPv6 146/147) HoA <-> HA: ESP transport.
 * - HoTI/HoT (MH types 1 and 3) HoA <-> any: ESP tunnel CoA <-> HA.
 * - Payload HoA <-> any: ESP tunnel CoA <-> HA.
 *
 * Tunnel entries exist only while the MN is away: at home the HoA is its CoA and nothing is
 * tunnelled. On the HA the tunnel's inbound side is installed both as `in` and `fwd`, as
 * traffic from the MN to a correspondent is forwarded, not delivered.
 *
 * ICMPv6 types sit in the selector's source port, as the Linux XFRM selector carries them (see
 * kernel-interfaces.md); MH types use the selector's own `mhType`.
 */
import {
  type Bus,
  type Direction,
  IPPROTO_ICMPV6,
  IPPROTO_MH,
  type Ip,
  type IpsecRequest,
  type KernelBackend,
  KernelError,
  kernelImageOf,
  type PolicyData,
  type PolicyId,
  parsePrefix,
  policyKey,
  type SecurityPolicy,
  selector,
} from '@mip6sec/core';
import {
  ICMPV6_MOBILE_PREFIX_ADV,
  ICMPV6_MOBILE_PREFIX_SOL,
  IP6_MH_TYPE_BACK,
  IP6_MH_TYPE_BU,
  IP6_MH_TYPE_HOT,
  IP6_MH_TYPE_HOTI,
} from './mh-constants.js';

/** Reqids of the four SA bundles (strongSwan `children.<name>.reqid`, UMIP `UseESP N`). */
export interface Mip6Reqids {
  /** BU/BA transport SA. */
  readonly homeRegistration: number;
  /** MPS/MPA transport SA. */
  readonly prefixDiscovery: number;
  /** HoTI/HoT tunnel SA. */
  readonly homeTesting: number;
  /** Payload tunnel SA. */
  readonly payload: number;
}

export const DEFAULT_REQIDS: Mip6Reqids = {
  homeRegistration: 1,
  prefixDiscovery: 2,
  homeTesting: 3,
  payload: 4,
};

export interface Mip6PolicyConfig {
  readonly hoa: Ip;
  readonly ha: Ip;
  /** The MN's current care-of address; absent or equal to `hoa` when the MN is at home. */
  readonly coa?: Ip;
  readonly reqids?: Partial<Mip6Reqids>;
  /** Protect mobile prefix discovery (default true). */
  readonly prefixDiscovery?: boolean;
  /** Tunnel HoTI/HoT (default true). */
  readonly homeTesting?: boolean;
  /** Tunnel all payload traffic of the HoA (default true; RFC 4877 makes it optional). */
  readonly payload?: boolean;
  /**
   * Priority of the transport entries; home test entries get +10 and payload +20, so the
   * specific MH/ICMPv6 entries win over the catch-all tunnel (lower wins). Default 100.
   */
  readonly priority?: number;
}

/** Which traffic an entry protects, for logs and for removing a class of entries. */
export type Mip6PolicyRole = 'homeRegistration' | 'prefixDiscovery' | 'homeTesting' | 'payload';

export interface Mip6Policy {
  readonly role: Mip6PolicyRole;
  readonly id: PolicyId;
  readonly data: PolicyData;
}

function reqidsOf(cfg: Mip6PolicyConfig): Mip6Reqids {
  return { ...DEFAULT_REQIDS, ...cfg.reqids };
}

function away(cfg: Mip6PolicyConfig): cfg is Mip6PolicyConfig & { coa: Ip } {
  return cfg.coa !== undefined && cfg.coa !== cfg.hoa;
}

const transport = (reqid: number): IpsecRequest => ({
  proto: 'esp',
  mode: 'transport',
  level: 'require',
  reqid,
});
const tunnel = (reqid: number, src: Ip, dst: Ip): IpsecRequest => ({
  proto: 'esp',
  mode: 'tunnel',
  level: 'require',
  reqid,
  src,
  dst,
});

function entry(role: Mip6PolicyRole, id: PolicyId, priority: number, template: IpsecRequest): Mip6Policy {
  return { role, id, data: { action: 'protect', priority, templates: [template] } };
}

type Side = 'mn' | 'ha';

function build(cfg: Mip6PolicyConfig, side: Side): Mip6Policy[] {
  const r = reqidsOf(cfg);
  const prio = cfg.priority ?? 100;
  const { hoa, ha } = cfg;
  const any = parsePrefix('::/0');
  // Directions of MN -> HA traffic and back, seen from this side.
  const up: Direction = side === 'mn' ? 'out' : 'in';
  const down: Direction = side === 'mn' ? 'in' : 'out';
  const upDirs: Direction[] = side === 'mn' ? ['out'] : ['in', 'fwd'];
  const out: Mip6Policy[] = [
    entry(
      'homeRegistration',
      { selector: selector(hoa, ha, { proto: IPPROTO_MH, mhType: IP6_MH_TYPE_BU }), dir: up },
      prio,
      transport(r.homeRegistration),
    ),
    entry(
      'homeRegistration',
      { selector: selector(ha, hoa, { proto: IPPROTO_MH, mhType: IP6_MH_TYPE_BACK }), dir: down },
      prio,
      transport(r.homeRegistration),
    ),
  ];
  if (cfg.prefixDiscovery ?? true) {
    out.push(
      entry(
        'prefixDiscovery',
        {
          selector: selector(hoa, ha, { proto: IPPROTO_ICMPV6, srcPort: ICMPV6_MOBILE_PREFIX_SOL }),
          dir: up,
        },
        prio,
        transport(r.prefixDiscovery),
      ),
      entry(
        'prefixDiscovery',
        {
          selector: selector(ha, hoa, { proto: IPPROTO_ICMPV6, srcPort: ICMPV6_MOBILE_PREFIX_ADV }),
          dir: down,
        },
        prio,
        transport(r.prefixDiscovery),
      ),
    );
  }
  if (!away(cfg)) return out;
  const coa = cfg.coa;
  const toHa = (reqid: number) => tunnel(reqid, coa, ha);
  const toMn = (reqid: number) => tunnel(reqid, ha, coa);
  if (cfg.homeTesting ?? true) {
    for (const dir of upDirs) {
      out.push(
        entry(
          'homeTesting',
          { selector: selector(hoa, any, { proto: IPPROTO_MH, mhType: IP6_MH_TYPE_HOTI }), dir },
          prio + 10,
          toHa(r.homeTesting),
        ),
      );
    }
    out.push(
      entry(
        'homeTesting',
        { selector: selector(any, hoa, { proto: IPPROTO_MH, mhType: IP6_MH_TYPE_HOT }), dir: down },
        prio + 10,
        toMn(r.homeTesting),
      ),
    );
  }
  if (cfg.payload ?? true) {
    for (const dir of upDirs) {
      out.push(entry('payload', { selector: selector(hoa, any), dir }, prio + 20, toHa(r.payload)));
    }
    out.push(entry('payload', { selector: selector(any, hoa), dir: down }, prio + 20, toMn(r.payload)));
  }
  return out;
}

/** The mobile node's SPD entries for its current attachment (RFC 4877 §5, MN side). */
export function mnPolicies(cfg: Mip6PolicyConfig): Mip6Policy[] {
  return build(cfg, 'mn');
}

/** The home agent's SPD entries for one mobile node (RFC 4877 §5, the mirror image). */
export function haPolicies(cfg: Mip6PolicyConfig): Mip6Policy[] {
  return build(cfg, 'ha');
}

function sameTemplates(a: readonly IpsecRequest[], b: readonly IpsecRequest[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x, i) => {
    const y = b[i]!;
    return (
      x.proto === y.proto &&
      x.mode === y.mode &&
      x.level === y.level &&
      x.reqid === y.reqid &&
      x.src === y.src &&
      x.dst === y.dst
    );
  });
}

/** True when an installed policy already says what `want` says. */
export function policyMatches(have: SecurityPolicy, want: PolicyData): boolean {
  return (
    have.action === want.action &&
    have.priority === want.priority &&
    sameTemplates(have.templates, want.templates)
  );
}

export interface PolicySyncResult {
  readonly added: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly removed: number;
}

export interface InstallOptions {
  /**
   * Rewrite entries that exist with other templates (default true). Daemons running beside a
   * strategy pass false: moving tunnel endpoints is the strategy's job (MIGRATE, MSRD), and an
   * update would undo it or drop the MSRD reference the strategy bound to the entry.
   */
  readonly update?: boolean;
  /**
   * Where existing entries are looked up: the host's KernelImage (see {@link kernelImageLookup})
   * is a map lookup. Updating without it dumps the SPD once per call (a query by selector on a
   * PF_KEY kernel is itself a dump of the whole SPD); adding without it writes every entry and
   * takes EEXIST for those that exist, a round trip (and an error) per entry per re-sync.
   */
  readonly lookup?: (id: PolicyId) => SecurityPolicy | undefined;
}

/**
 * Makes the kernel hold `policies`: adds missing entries, updates ones that differ (unless told
 * not to; an MSRD reference already on the entry is kept), leaves equal ones alone.
 */
export async function installPolicies(
  kernel: KernelBackend,
  policies: readonly Mip6Policy[],
  opts: InstallOptions = {},
): Promise<PolicySyncResult> {
  let added = 0;
  let updated = 0;
  let unchanged = 0;
  let lookup = opts.lookup;
  if (opts.update !== false && !lookup && policies.length > 0) {
    const have = new Map((await kernel.dumpPolicies()).map((p) => [policyKey(p), p]));
    lookup = (id) => have.get(policyKey(id));
  }
  for (const p of policies) {
    if (opts.update === false) {
      // Nothing to compare: add, and an entry that exists stays as it is. No query, which on a
      // PF_KEY kernel is a dump of the whole SPD (a home agent with many MNs pays per entry).
      if (opts.lookup?.(p.id)) {
        unchanged++;
        continue;
      }
      try {
        await kernel.addPolicy(p.id, p.data);
        added++;
      } catch (e) {
        if (!(e instanceof KernelError && e.code === 'EEXIST')) throw e;
        unchanged++;
      }
      continue;
    }
    const have = lookup?.(p.id);
    if (!have) {
      await kernel.addPolicy(p.id, p.data);
      added++;
    } else if ((opts.update ?? true) && !policyMatches(have, p.data)) {
      const ref = p.data.ref ?? have.ref;
      await kernel.updatePolicy(p.id, ref ? { ...p.data, ref } : p.data);
      updated++;
    } else {
      unchanged++;
    }
  }
  return { added, updated, unchanged, removed: 0 };
}

/**
 * A lookup for {@link installPolicies} from the host's kernel image (kept from the kernel's
 * broadcasts), brought up to date first. It answers only while the image trusts itself: a suspect
 * image answers nothing, and the entries are then written and EEXIST taken as before.
 */
export async function kernelImageLookup(
  kernel: KernelBackend,
  bus: Bus,
): Promise<(id: PolicyId) => SecurityPolicy | undefined> {
  const image = kernelImageOf(kernel, bus);
  await image.fresh();
  return (id) => (image.isSuspect ? undefined : image.policy(id));
}

/** Deletes `policies` from the kernel; entries already gone are fine. */
export async function removePolicies(
  kernel: KernelBackend,
  policies: readonly Pick<Mip6Policy, 'id'>[],
): Promise<number> {
  let removed = 0;
  for (const p of policies) {
    try {
      await kernel.delPolicy(p.id);
      removed++;
    } catch (e) {
      if (!(e instanceof KernelError && e.code === 'ENOENT')) throw e;
    }
  }
  return removed;
}

/**
 * Moves the kernel from the entries `previous` installed to `desired`: removes what is no longer
 * wanted, then installs the rest.
 */
export async function syncPolicies(
  kernel: KernelBackend,
  previous: readonly Mip6Policy[],
  desired: readonly Mip6Policy[],
  opts: InstallOptions = {},
): Promise<PolicySyncResult> {
  const keep = new Set(desired.map((p) => policyKey(p.id)));
  const removed = await removePolicies(
    kernel,
    previous.filter((p) => !keep.has(policyKey(p.id))),
  );
  const r = await installPolicies(kernel, desired, opts);
  return { ...r, removed };
}

/**
 * How a daemon keeps its SPD entries: `create` (default) adds the entries a state needs and
 * removes those it no longer needs, leaving existing ones to the strategy; `reconcile` also
 * rewrites tunnel endpoints to the current CoA (for runs without a strategy that moves them);
 * `none` leaves the SPD alone.
 */
export type PolicyManagement = 'create' | 'reconcile' | 'none';
