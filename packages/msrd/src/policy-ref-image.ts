/**
 * Which MSRD reference each SPD entry carries, learnt as a PF_KEY listener learns it: from the
 * SPDADD/SPDUPDATE broadcasts (kernel.policy events), which carry SADB_X_EXT_REF, and from the
 * kernel's answer to our own SPDUPDATE. Dumps cannot be used alone: PF_KEY's SPDDUMP and SPDGET
 * answers have no place for the reference (kernel-sim omits it as Linux would), and a plain
 * SPDUPDATE by the MIPv6 daemon drops it, which the next broadcast shows.
 */
import type { KernelPolicyChanged, MsrdRef, PolicyId } from '@mip6sec/core';
import { policyKey } from '@mip6sec/core';

export class PolicyRefImage {
  private readonly refs = new Map<string, MsrdRef | undefined>();

  learn(e: KernelPolicyChanged): void {
    if (e.op === 'flush') this.refs.clear();
    else if (e.op === 'delete' && e.policy) this.refs.delete(policyKey(e.policy));
    else if (e.policy) this.refs.set(policyKey(e.policy), e.policy.ref);
  }

  /** Records what the kernel answered to an SPDADD/SPDUPDATE we sent. */
  set(id: PolicyId, ref: MsrdRef | undefined): void {
    this.refs.set(policyKey(id), ref);
  }

  /** The policy's own reference if it came with one, else the last one the kernel announced. */
  refOf(p: PolicyId & { readonly ref?: MsrdRef }): MsrdRef | undefined {
    return p.ref ?? this.refs.get(policyKey(p));
  }
}
