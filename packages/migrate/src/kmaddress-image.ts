/**
 * The per-policy address hints MIGRATEs leave behind, learnt the way a key manager learns them:
 * from the kernel's MIGRATE broadcasts (kernel.migrate), never from what the strategy meant to
 * write, so a MIGRATE lost on its way to the kernel leaves the image stale, as it would leave IKE's.
 *
 * Keys ignore ports and MH types: the PF_KEY broadcast reports the selector without ports and with
 * protocol 0 for "any" (kernel-interfaces.md 2.5), so MH-type policies come back without their type.
 * Within one binding's RFC 4877 set, direction, prefixes and protocol still tell the entries apart.
 */
import type { Direction, KernelMigrate, KernelPolicyChanged, KmAddress, Selector } from '@mip6sec/core';
import { formatPrefix, PROTO_ANY } from '@mip6sec/core';

export function looseKey(p: { selector: Selector; dir: Direction }): string {
  const s = p.selector;
  const proto = s.proto === 0 ? PROTO_ANY : s.proto;
  return `${p.dir} ${formatPrefix(s.src)} ${formatPrefix(s.dst)} ${proto}`;
}

export class KmaddressImage {
  private readonly byPolicy = new Map<string, KmAddress>();
  private readonly reqidPolicy = new Map<number, string>();

  /** Records a broadcast; one without kmaddress tells IKE nothing (strongSwan drops it too). */
  learn(e: Pick<KernelMigrate, 'selector' | 'dir' | 'bundles' | 'kmaddress'>): void {
    const km = e.kmaddress;
    if (!km) return;
    const key = looseKey(e);
    this.byPolicy.set(key, km);
    for (const b of e.bundles) if (b.reqid !== 0) this.reqidPolicy.set(b.reqid, key);
  }

  /** A policy added, deleted or flushed starts without a hint: an old one would belong to its previous life. */
  policyChanged(e: KernelPolicyChanged): void {
    if (e.op === 'flush') {
      this.byPolicy.clear();
      this.reqidPolicy.clear();
    } else if ((e.op === 'add' || e.op === 'delete') && e.policy) {
      this.byPolicy.delete(looseKey(e.policy));
    }
  }

  forPolicy(p: { selector: Selector; dir: Direction }): KmAddress | undefined {
    return this.byPolicy.get(looseKey(p));
  }

  /** The hint of the policy a reqid was last migrated with. */
  forReqid(reqid: number): KmAddress | undefined {
    const key = this.reqidPolicy.get(reqid);
    return key === undefined ? undefined : this.byPolicy.get(key);
  }

  get size(): number {
    return this.byPolicy.size;
  }
}
