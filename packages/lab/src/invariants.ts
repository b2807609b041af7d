/**
 * The invariants of DESIGN.md, checked on both ends after every scenario step at quiescence:
 *
 * - every SA and tunnel SP endpoint on MN and HA equals the binding's current CoA (the HoA when
 *   home), and the HA's binding cache holds that CoA (nothing when home);
 * - IKE's SPD image equals the kernel SPD; the IKE_SA addresses and IKE's per-policy address hints
 *   equal the CoA (the kmaddress / MSRD addresses);
 * - no SA (nor IKE_SA) was replaced where the strategy promises an update in place, unless a rekey
 *   accounts for it.
 *
 * Objects on the HA are attributed to an MN by what names it: a policy by the host selector of its
 * HoA (never by a prefix that happens to contain it), an SA by its MN-side address, an IKE_SA by
 * the peer identity. Everything is indexed once per check, so a check costs O(state), not
 * O(MNs x state). Each violation names the step, host and object.
 */
import type {
  IkeSaInfo,
  Ip,
  IpsecRequest,
  ResolvedAddresses,
  SecurityAssociation,
  SecurityPolicy,
} from '@mip6sec/core';
import { policyKey } from '@mip6sec/core';
import type { InvariantViolation } from './metrics.js';

/** What the checker sees of one host: kernel state read directly, and its IKE daemon's view. */
export interface HostState {
  readonly name: string;
  readonly policies: readonly SecurityPolicy[];
  readonly sas: readonly SecurityAssociation[];
  readonly ikeSas: readonly IkeSaInfo[];
  /** IKE's SPD image (undefined: not compared). */
  readonly spdImage?: readonly SecurityPolicy[];
  /**
   * IKE's per-policy address hints, checked when given. Interface designs keep them as their
   * kmaddress / MSRD image; without an interface (renegotiate) IKE asks the resolver at each
   * negotiation and an old hint is never used, so the lab does not pass them.
   */
  hintFor?(policy: Pick<SecurityPolicy, 'selector' | 'dir'>): ResolvedAddresses | undefined;
}

/** An MN as the lab placed it: where it is attached now. */
export interface MnPlacement {
  readonly name: string;
  readonly hoa: Ip;
  readonly identity: string;
  /** The address the lab gave it on its current link (the HoA at home). */
  readonly coa: Ip;
}

export interface HaState extends HostState {
  readonly address: Ip;
  /** The CoA the binding cache holds for a home address (undefined when none). */
  cacheCoa(hoa: Ip): Ip | undefined;
}

const isTunnel = (t: IpsecRequest) => t.mode === 'tunnel';
const hasTunnel = (p: SecurityPolicy) => p.action === 'protect' && p.templates.some(isTunnel);

/** The HoA an MN-specific policy names: a host selector on one side (the other may be anything). */
function hostOf(p: SecurityPolicy, hoas: ReadonlySet<Ip>): Ip | undefined {
  const { src, dst } = p.selector;
  if (src.len === 128 && hoas.has(src.addr)) return src.addr;
  if (dst.len === 128 && hoas.has(dst.addr)) return dst.addr;
  return undefined;
}

/** Policies of each HoA, indexed in one pass. */
function policiesByHoa(
  policies: readonly SecurityPolicy[],
  hoas: ReadonlySet<Ip>,
): Map<Ip, SecurityPolicy[]> {
  const out = new Map<Ip, SecurityPolicy[]>();
  for (const p of policies) {
    const hoa = hostOf(p, hoas);
    if (hoa === undefined) continue;
    const list = out.get(hoa);
    if (list) list.push(p);
    else out.set(hoa, [p]);
  }
  return out;
}

const templateText = (t: IpsecRequest) =>
  `${t.proto}/${t.mode}/${t.reqid}${t.src !== undefined ? ` ${t.src}->${t.dst}` : ''}`;
const policyText = (p: SecurityPolicy) => `${p.action} ${p.templates.map(templateText).join(' ')}`;

/** IKE's SPD image against the kernel's SPD: every entry and every template endpoint. */
function compareSpdImage(host: HostState, step: string, out: InvariantViolation[]): void {
  if (!host.spdImage) return;
  const kernel = new Map(host.policies.map((p) => [policyKey(p), p]));
  const image = new Map(host.spdImage.map((p) => [policyKey(p), p]));
  for (const [key, p] of kernel) {
    const q = image.get(key);
    if (!q)
      out.push({
        step,
        host: host.name,
        object: `SP ${key}`,
        rule: 'IKE SPD image = kernel SPD',
        detail: "missing from IKE's image",
      });
    else if (policyText(p) !== policyText(q))
      out.push({
        step,
        host: host.name,
        object: `SP ${key}`,
        rule: 'IKE SPD image = kernel SPD',
        detail: `kernel has ${policyText(p)}, IKE has ${policyText(q)}`,
      });
  }
  for (const key of image.keys()) {
    if (!kernel.has(key))
      out.push({
        step,
        host: host.name,
        object: `SP ${key}`,
        rule: 'IKE SPD image = kernel SPD',
        detail: 'not in the kernel',
      });
  }
}

const saName = (s: SecurityAssociation) => `SA ${s.proto} spi 0x${(s.spi >>> 0).toString(16)}`;

export function checkMn(step: string, mn: MnPlacement, host: HostState, haAddress: Ip): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  const v = (object: string, rule: string, detail: string) =>
    out.push({ step, host: host.name, object, rule, detail });
  const atHome = mn.coa === mn.hoa;
  for (const p of host.policies) {
    if (!hasTunnel(p)) continue;
    if (atHome) {
      v(`SP ${policyKey(p)}`, 'no tunnel entries at home', `still installed: ${policyText(p)}`);
      continue;
    }
    for (const t of p.templates) {
      if (!isTunnel(t)) continue;
      const mine = p.dir === 'out' ? t.src : t.dst;
      const theirs = p.dir === 'out' ? t.dst : t.src;
      if (mine !== mn.coa)
        v(`SP ${policyKey(p)}`, 'tunnel endpoint = CoA', `template has ${mine}, binding CoA is ${mn.coa}`);
      if (theirs !== haAddress)
        v(`SP ${policyKey(p)}`, 'tunnel endpoint = HA', `template has ${theirs}, HA is ${haAddress}`);
    }
  }
  for (const s of host.sas) {
    if (s.state === 'larval' || s.state === 'dead') continue;
    if (s.mode === 'tunnel') {
      if (s.src !== haAddress && s.dst !== haAddress) continue;
      const mine = s.src === haAddress ? s.dst : s.src;
      if (mine !== mn.coa) v(saName(s), 'SA endpoint = CoA', `SA is ${s.src} -> ${s.dst}, CoA is ${mn.coa}`);
    } else if (!((s.src === mn.hoa && s.dst === haAddress) || (s.src === haAddress && s.dst === mn.hoa))) {
      v(saName(s), 'transport SA on HoA/HA', `SA is ${s.src} -> ${s.dst}`);
    }
  }
  for (const ike of host.ikeSas) {
    if (ike.remote.ip !== haAddress) continue;
    if (ike.local.ip !== mn.coa)
      v(
        `IKE_SA ${ike.ikeSpi}`,
        'IKE_SA address = CoA',
        `${ike.state} IKE_SA runs from ${ike.local.ip}, CoA is ${mn.coa}`,
      );
    else if (ike.state !== 'established')
      v(`IKE_SA ${ike.ikeSpi}`, 'IKE_SA established', `still ${ike.state} at quiescence`);
  }
  for (const p of host.policies) {
    if (p.action !== 'protect') continue;
    const hint = host.hintFor?.(p);
    if (hint && hint.remote === haAddress && hint.local !== mn.coa)
      v(
        `SPD image ${policyKey(p)}`,
        'IKE address hint = CoA',
        `IKE would negotiate from ${hint.local}, CoA is ${mn.coa}`,
      );
  }
  compareSpdImage(host, step, out);
  return out;
}

/**
 * The HA's side. `owner` names the MN an address was handed to (any HoA or CoA it may have had,
 * from the lab's address book), so SAs left on an old CoA are still attributed to their MN;
 * without it only current addresses are known.
 */
export function checkHa(
  step: string,
  ha: HaState,
  mns: readonly MnPlacement[],
  owner?: (addr: Ip) => MnPlacement | undefined,
): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  const byHoa = policiesByHoa(ha.policies, new Set(mns.map((m) => m.hoa)));
  const byIdentity = new Map<string, MnPlacement>();
  const current = new Map<Ip, MnPlacement>();
  for (const m of mns) {
    byIdentity.set(m.identity, m);
    current.set(m.hoa, m);
    current.set(m.coa, m);
  }
  const ownerOf = owner ?? ((addr: Ip) => current.get(addr));
  // Keyed by name: the owner lookup may hand back its own placement objects.
  const sasByMn = new Map<string, SecurityAssociation[]>();
  for (const s of ha.sas) {
    if (s.state === 'larval' || s.state === 'dead') continue;
    const mn = ownerOf(s.src === ha.address ? s.dst : s.src);
    if (!mn) continue;
    const list = sasByMn.get(mn.name);
    if (list) list.push(s);
    else sasByMn.set(mn.name, [s]);
  }
  // An IKE_SA is the MN's whose identity it authenticated, or (before IKE_AUTH) whose address it talks to.
  const ikeByMn = new Map<string, IkeSaInfo[]>();
  for (const ike of ha.ikeSas) {
    const mn = byIdentity.get(ike.remoteId) ?? ownerOf(ike.remote.ip);
    if (!mn) continue;
    const list = ikeByMn.get(mn.name);
    if (list) list.push(ike);
    else ikeByMn.set(mn.name, [ike]);
  }
  for (const mn of mns) {
    const v = (object: string, rule: string, detail: string) =>
      out.push({ step, host: ha.name, object: `${object} (for ${mn.name})`, rule, detail });
    const atHome = mn.coa === mn.hoa;
    const cached = ha.cacheCoa(mn.hoa);
    if (atHome && cached !== undefined)
      v(`binding cache ${mn.hoa}`, 'no binding at home', `cache still has ${cached}`);
    if (!atHome && cached !== mn.coa)
      v(
        `binding cache ${mn.hoa}`,
        'cache CoA = MN CoA',
        `cache has ${cached ?? 'nothing'}, MN uses ${mn.coa}`,
      );
    for (const p of byHoa.get(mn.hoa) ?? []) {
      if (hasTunnel(p) && atHome) {
        v(`SP ${policyKey(p)}`, 'no tunnel entries at home', `still installed: ${policyText(p)}`);
        continue;
      }
      for (const t of p.templates) {
        if (!isTunnel(t)) continue;
        const mnEnd = p.dir === 'out' ? t.dst : t.src;
        const haEnd = p.dir === 'out' ? t.src : t.dst;
        if (mnEnd !== mn.coa)
          v(`SP ${policyKey(p)}`, 'tunnel endpoint = CoA', `template has ${mnEnd}, CoA is ${mn.coa}`);
        if (haEnd !== ha.address)
          v(`SP ${policyKey(p)}`, 'tunnel endpoint = HA', `template has ${haEnd}, HA is ${ha.address}`);
      }
      if (p.action !== 'protect') continue;
      const hint = ha.hintFor?.(p);
      if (hint && hint.local === ha.address && hint.remote !== mn.coa)
        v(
          `SPD image ${policyKey(p)}`,
          'IKE address hint = CoA',
          `IKE would negotiate with ${hint.remote}, CoA is ${mn.coa}`,
        );
    }
    for (const s of sasByMn.get(mn.name) ?? []) {
      if (s.mode === 'tunnel') {
        const mnEnd = s.src === ha.address ? s.dst : s.src;
        if (mnEnd !== mn.coa)
          v(saName(s), 'SA endpoint = CoA', `SA is ${s.src} -> ${s.dst}, CoA is ${mn.coa}`);
      } else if (
        !((s.src === mn.hoa && s.dst === ha.address) || (s.src === ha.address && s.dst === mn.hoa))
      ) {
        v(saName(s), 'transport SA on HoA/HA', `SA is ${s.src} -> ${s.dst}`);
      }
    }
    for (const ike of ikeByMn.get(mn.name) ?? []) {
      if (ike.remote.ip !== mn.coa)
        v(
          `IKE_SA ${ike.ikeSpi}`,
          'IKE_SA address = CoA',
          `${ike.state} IKE_SA runs to ${ike.remote.ip}, CoA is ${mn.coa}`,
        );
      else if (ike.state !== 'established')
        v(`IKE_SA ${ike.ikeSpi}`, 'IKE_SA established', `still ${ike.state} at quiescence`);
    }
  }
  compareSpdImage(ha, step, out);
  return out;
}

// ---- updates in place ----------------------------------------------------------------------

/** ESP SAs of one host that belong to one MN: SPI -> reqid. */
export type SpiSnapshot = ReadonlyMap<number, number>;

/** The ESP SAs of a host belonging to an MN (its own SAs on the MN; attributed by address on the HA). */
export function spiSnapshot(
  sas: readonly SecurityAssociation[],
  belongs: (s: SecurityAssociation) => boolean,
): SpiSnapshot {
  const out = new Map<number, number>();
  for (const s of sas)
    if (s.proto === 'esp' && s.state !== 'larval' && belongs(s)) out.set(s.spi >>> 0, s.reqid);
  return out;
}

/**
 * A violation when SAs of a strategy that promises in-place updates disappeared during a step
 * without a rekey of their reqid on that host (for that MN) to account for it.
 */
export function checkInPlace(
  step: string,
  host: string,
  mn: string,
  before: SpiSnapshot,
  after: SpiSnapshot,
  rekeyedReqids: ReadonlySet<number>,
): InvariantViolation[] {
  const gone = [...before].filter(([spi, reqid]) => !after.has(spi) && !rekeyedReqids.has(reqid));
  if (gone.length === 0) return [];
  return [
    {
      step,
      host,
      object: `SAs ${gone.map(([s]) => `0x${s.toString(16)}`).join(', ')} (for ${mn})`,
      rule: 'updated in place, not renegotiated',
      detail: `${gone.length} SA(s) disappeared without a rekey although the strategy promises in-place updates`,
    },
  ];
}

/** A violation when an in-place strategy replaced an MN's IKE_SA with the HA other than by a rekey. */
export function checkIkeInPlace(
  step: string,
  host: string,
  before: ReadonlySet<string>,
  after: ReadonlySet<string>,
  rekeyed: ReadonlySet<string>,
): InvariantViolation[] {
  const gone = [...before].filter((spi) => !after.has(spi) && !rekeyed.has(spi));
  if (gone.length === 0) return [];
  return [
    {
      step,
      host,
      object: `IKE_SA ${gone.join(', ')}`,
      rule: 'updated in place, not renegotiated',
      detail: 'the IKE_SA with the HA was replaced although the strategy promises in-place updates',
    },
  ];
}
