/**
 * The kernel's SPD and SAD as plain JSON values (addresses as text, keys and bytes as hex, 64-bit
 * numbers as decimal strings), for `mip6sec kernel replay`'s dump and for logs.
 */
import type { SecurityPolicy, Selector } from '@mip6sec/core';
import { toHex } from '@mip6sec/pfkey-codec';
import type { PfkeyKernel } from './pfkey-kernel.js';
import { toSecurityAssociation } from './sad.js';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

function selectorJson(s: Selector): Json {
  return {
    src: `${s.src.addr}/${s.src.len}`,
    dst: `${s.dst.addr}/${s.dst.len}`,
    proto: s.proto,
    srcPort: s.srcPort,
    dstPort: s.dstPort,
    ...(s.mhType !== undefined ? { mhType: s.mhType } : {}),
  };
}

export function policyJson(p: SecurityPolicy): Json {
  return {
    index: p.index,
    dir: p.dir,
    selector: selectorJson(p.selector),
    action: p.action,
    priority: p.priority,
    templates: p.templates.map((t) => ({
      proto: t.proto,
      mode: t.mode,
      level: t.level,
      reqid: t.reqid,
      ...(t.src !== undefined ? { src: t.src } : {}),
      ...(t.dst !== undefined ? { dst: t.dst } : {}),
    })),
    ...(p.ref ? { ref: { mpi: p.ref.mpi.toString(), refType: p.ref.refType } } : {}),
  };
}

/** The SPD (in SPD order per direction) and the SAD of a kernel. */
export function kernelJson(k: PfkeyKernel): { spd: Json[]; sad: Json[] } {
  return {
    spd: k.spd.dump().map(policyJson),
    sad: k.sad.all().map((r) => {
      const sa = toSecurityAssociation(r);
      return {
        src: sa.src,
        dst: sa.dst,
        spi: `0x${(sa.spi >>> 0).toString(16).padStart(8, '0')}`,
        proto: sa.proto,
        state: sa.state,
        mode: sa.mode,
        reqid: sa.reqid,
        enc: { alg: sa.enc.alg, key: toHex(sa.enc.key) },
        ...(sa.integ ? { integ: { alg: sa.integ.alg, key: toHex(sa.integ.key) } } : {}),
        replayWindow: sa.replayWindow,
        esn: sa.esn ?? false,
        ...(sa.soft ? { soft: { ...sa.soft } } : {}),
        ...(sa.hard ? { hard: { ...sa.hard } } : {}),
        ...(sa.encap ? { encap: { sport: sa.encap.sport, dport: sa.encap.dport } } : {}),
        current: { ...sa.current } as Json,
      };
    }),
  };
}
