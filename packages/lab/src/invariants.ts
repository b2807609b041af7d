/**
 * The invariants of DESIGN.md, checked on both ends after every scenario step at quiescence:
 * SA and tunnel SP endpoints equal the binding's CoA (the HoA when home); IKE's SPD image and
 * IKE_SA addresses agree with the kernel; no SA was renegotiated where the strategy promises an
 * update in place. Each violation names the step, host and object.
 */
import type { Ip, KernelBackend, KeyManager, SecurityAssociation, SecurityPolicy } from '@mip6sec/core';
import { policyKey, prefixContains } from '@mip6sec/core';
import type { InvariantViolation } from './metrics.js';

export interface MnView {
  readonly name: string;
  readonly hoa: Ip;
  readonly ha: Ip;
  /** The CoA the MN's binding update list holds (HoA at home). */
  readonly coa: Ip;
  readonly kernel: KernelBackend;
  readonly keyManager: KeyManager;
}

export interface HaView {
  readonly name: string;
  readonly address: Ip;
  readonly kernel: KernelBackend;
  readonly keyManager: KeyManager;
  /** The CoA the binding cache holds for a home address (undefined when none). */
  cacheCoa(hoa: Ip): Ip | undefined;
}

/** Tunnel SAs between an MN and the HA, keyed by SPI, to spot renegotiations. */
export type SpiSnapshot = ReadonlyMap<string, ReadonlySet<number>>;

function tunnelPoliciesFor(policies: readonly SecurityPolicy[], hoa: Ip): SecurityPolicy[] {
  return policies.filter(
    (p) =>
      p.action === 'protect' &&
      p.templates.some((t) => t.mode === 'tunnel') &&
      (prefixContains(p.selector.src, hoa) || prefixContains(p.selector.dst, hoa)) &&
      // A policy for "anything" covers the HoA too; only the MN-specific ones follow its CoA.
      (p.selector.src.len > 0 || p.selector.dst.len > 0),
  );
}

function tunnelSasBetween(
  sas: readonly SecurityAssociation[],
  a: Ip,
  b: Ip,
  reqids: ReadonlySet<number>,
): SecurityAssociation[] {
  return sas.filter(
    (s) =>
      s.mode === 'tunnel' &&
      (reqids.has(s.reqid) || (s.src === a && s.dst === b) || (s.src === b && s.dst === a)),
  );
}

export async function checkMn(step: string, mn: MnView, haAddress: Ip): Promise<InvariantViolation[]> {
  const out: InvariantViolation[] = [];
  const v = (object: string, rule: string, detail: string) =>
    out.push({ step, host: mn.name, object, rule, detail });
  const atHome = mn.coa === mn.hoa;
  const policies = await mn.kernel.dumpPolicies();
  const sas = await mn.kernel.dumpSas();
  const tunnelPolicies = tunnelPoliciesFor(policies, mn.hoa);
  const reqids = new Set<number>();
  for (const p of tunnelPolicies) {
    for (const t of p.templates) {
      if (t.mode !== 'tunnel') continue;
      reqids.add(t.reqid);
      const mine = p.dir === 'out' ? t.src : t.dst;
      const theirs = p.dir === 'out' ? t.dst : t.src;
      if (!atHome && mine !== mn.coa)
        v(`SP ${policyKey(p)}`, 'tunnel endpoint = CoA', `template has ${mine}, binding CoA is ${mn.coa}`);
      if (theirs !== haAddress)
        v(`SP ${policyKey(p)}`, 'tunnel endpoint = HA', `template has ${theirs}, HA is ${haAddress}`);
    }
    const hint = mn.keyManager.hintFor({ selector: p.selector, dir: p.dir });
    if (!atHome && hint && hint.local !== mn.coa) {
      v(
        `SPD image ${policyKey(p)}`,
        'IKE address hint = CoA',
        `IKE would negotiate from ${hint.local}, CoA is ${mn.coa}`,
      );
    }
  }
  if (!atHome) {
    for (const s of tunnelSasBetween(sas, mn.coa, haAddress, reqids)) {
      const mine = s.src === haAddress ? s.dst : s.src;
      if (mine !== mn.coa)
        v(
          `SA ${s.proto} spi 0x${s.spi.toString(16)}`,
          'SA endpoint = CoA',
          `SA is ${s.src} -> ${s.dst}, CoA is ${mn.coa}`,
        );
    }
    for (const ike of mn.keyManager.ikeSas()) {
      if (ike.remote.ip !== haAddress) continue;
      if (ike.local.ip !== mn.coa)
        v(
          `IKE_SA ${ike.ikeSpi}`,
          'IKE_SA address = CoA',
          `IKE_SA runs from ${ike.local.ip}, CoA is ${mn.coa}`,
        );
    }
  }
  return out;
}

export async function checkHa(
  step: string,
  ha: HaView,
  mns: readonly { name: string; hoa: Ip; coa: Ip }[],
): Promise<InvariantViolation[]> {
  const out: InvariantViolation[] = [];
  const policies = await ha.kernel.dumpPolicies();
  const sas = await ha.kernel.dumpSas();
  for (const mn of mns) {
    const v = (object: string, rule: string, detail: string) =>
      out.push({ step, host: ha.name, object: `${object} (for ${mn.name})`, rule, detail });
    const cached = ha.cacheCoa(mn.hoa);
    const atHome = mn.coa === mn.hoa;
    if (!atHome && cached !== mn.coa)
      v(
        `binding cache ${mn.hoa}`,
        'cache CoA = MN CoA',
        `cache has ${cached ?? 'nothing'}, MN uses ${mn.coa}`,
      );
    if (atHome) continue;
    const reqids = new Set<number>();
    for (const p of tunnelPoliciesFor(policies, mn.hoa)) {
      for (const t of p.templates) {
        if (t.mode !== 'tunnel') continue;
        reqids.add(t.reqid);
        const mnEnd = p.dir === 'out' ? t.dst : t.src;
        if (mnEnd !== mn.coa)
          v(`SP ${policyKey(p)}`, 'tunnel endpoint = CoA', `template has ${mnEnd}, CoA is ${mn.coa}`);
      }
    }
    for (const s of tunnelSasBetween(sas, ha.address, mn.coa, reqids)) {
      const mnEnd = s.src === ha.address ? s.dst : s.src;
      if (mnEnd !== mn.coa)
        v(
          `SA ${s.proto} spi 0x${s.spi.toString(16)}`,
          'SA endpoint = CoA',
          `SA is ${s.src} -> ${s.dst}, CoA is ${mn.coa}`,
        );
    }
  }
  return out;
}

/** SPIs of the tunnel SAs per MN, to compare before and after a step. */
export async function tunnelSpis(kernel: KernelBackend): Promise<Set<number>> {
  const sas = await kernel.dumpSas();
  return new Set(sas.filter((s) => s.mode === 'tunnel').map((s) => s.spi));
}

/** A violation when an in-place strategy replaced SAs that no rekey accounts for. */
export function checkInPlace(
  step: string,
  host: string,
  before: ReadonlySet<number>,
  after: ReadonlySet<number>,
  rekeyed: ReadonlySet<number>,
): InvariantViolation[] {
  const gone = [...before].filter((spi) => !after.has(spi) && !rekeyed.has(spi));
  if (gone.length === 0) return [];
  return [
    {
      step,
      host,
      object: `SAs ${gone.map((s) => `0x${s.toString(16)}`).join(', ')}`,
      rule: 'updated in place, not renegotiated',
      detail: `${gone.length} tunnel SA(s) disappeared without a rekey although the strategy promises in-place updates`,
    },
  ];
}
