/**
 * Which SPD entries belong to one MN-HA binding, and which end of a tunnel template is the mobile
 * node's. RFC 3776/4877 policy sets select on the home address (one selector side is the HoA host
 * prefix) and either tunnel to the home agent (HoTI/HoT, payload) or protect HoA-HA traffic in
 * transport mode (BU/BA, MPS/MPA).
 */
import type { Ip, Prefix } from './address.js';
import { ipFamily } from './address.js';
import type { IpsecRequest, SecurityPolicy } from './policy.js';
import type { Selector } from './selector.js';

export interface BindingKey {
  readonly hoa: Ip;
  readonly ha: Ip;
}

export function isHostPrefix(p: Prefix, ip: Ip): boolean {
  return p.addr === ip && p.len === (ipFamily(ip) === 4 ? 32 : 128);
}

/** A tunnel template with the home agent at exactly one end. */
export function isTunnelToHa(t: IpsecRequest, ha: Ip): boolean {
  return (
    t.mode === 'tunnel' && t.src !== undefined && t.dst !== undefined && (t.src === ha) !== (t.dst === ha)
  );
}

/** The mobile node's end of a tunnel template to the home agent (its CoA, or its HoA at home). */
export function mnEndpoint(t: IpsecRequest, ha: Ip): Ip | undefined {
  if (!isTunnelToHa(t, ha)) return undefined;
  return t.src === ha ? t.dst : t.src;
}

/** The template's (src, dst) with the mobile node's end replaced by `mn`. */
export function tunnelEndpoints(t: IpsecRequest, ha: Ip, mn: Ip): { src: Ip; dst: Ip } {
  return t.src === ha ? { src: ha, dst: mn } : { src: mn, dst: ha };
}

/** A transport selector between the HoA and the HA (either direction). */
export function isHoaHaSelector(s: Selector, b: BindingKey): boolean {
  return (
    (isHostPrefix(s.src, b.hoa) && isHostPrefix(s.dst, b.ha)) ||
    (isHostPrefix(s.src, b.ha) && isHostPrefix(s.dst, b.hoa))
  );
}

/** Protect policies of this binding: a HoA selector, and a tunnel to the HA or HoA-HA transport. */
export function policiesOfBinding(policies: readonly SecurityPolicy[], b: BindingKey): SecurityPolicy[] {
  return policies.filter(
    (p) =>
      p.action === 'protect' &&
      (isHostPrefix(p.selector.src, b.hoa) || isHostPrefix(p.selector.dst, b.hoa)) &&
      p.templates.some(
        (t) => isTunnelToHa(t, b.ha) || (t.mode === 'transport' && isHoaHaSelector(p.selector, b)),
      ),
  );
}
