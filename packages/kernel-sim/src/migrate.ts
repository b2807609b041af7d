/**
 * SADB_X_MIGRATE on the model (draft-ebalard-mext-pfkey-enhanced-migrate section 5.3; where the draft is
 * silent, Linux xfrm_migrate as kernel-interfaces.md section 3.7 describes it). Everything is validated and
 * computed before anything changes, so an error leaves the SPD and SAD exactly as they were:
 *
 * 1. EINVAL: no bundle or more than XFRM_MAX_DEPTH, an all-zero new address, two bundles with the same
 *    old addresses, protocol, mode and reqid.
 * 2. ENOENT: no policy for the selector and direction. `exact` compares the whole selector (the draft, and
 *    Linux before 6.12, which UMIP was written for); `flow` emulates Linux 6.12+, which looks the policy up
 *    like a packet built from the selector, prefix lengths ignored, and reads an MH or ICMPv6 type from the
 *    high byte of the destination port (the MH-type selector quirk of kernel-interfaces.md section 3.7).
 * 3. Every SA with the old endpoints, protocol, mode and reqid (any reqid when the bundle's is 0) moves to
 *    the new endpoints in place, keeping keys, counters, replay state and UDP encapsulation. Linux moves the
 *    first such SA only; moving all of them keeps an SA pair in the middle of a rekey together. ENODATA
 *    when a moved SA would collide with an existing one.
 * 4. Tunnel templates whose endpoints are the old ones get the new ones; transport templates match on
 *    protocol, mode and reqid alone and keep their (absent) endpoints. ENODATA when no template matched
 *    any bundle (typically a MIGRATE sent twice: its old endpoints are stale).
 */
import {
  IPPROTO_ICMPV6,
  IPPROTO_MH,
  type IpsecRequest,
  ipToBytes,
  type MigrateBundle,
  type MigrateRequest,
  type PacketKey,
  PROTO_ANY,
  selectorKey,
} from '@mip6sec/core';
import { fail } from './errors.js';
import type { Sad, SaRecord } from './sad.js';
import { type PolicyRecord, type Spd, XFRM_MAX_DEPTH } from './spd.js';

export type MigrateLookup = 'exact' | 'flow';

export interface MigrateOutcome {
  readonly policy: PolicyRecord;
  readonly moved: readonly SaRecord[];
}

function allZero(ip: string): boolean {
  return ipToBytes(ip).every((b) => b === 0);
}

function bundleKey(b: MigrateBundle): string {
  return `${b.proto}|${b.mode}|${b.reqid}|${b.oldSrc}|${b.oldDst}`;
}

/** The packet Linux 6.12+ builds from a MIGRATE selector to find the policy. */
export function migrateFlowKey(req: Pick<MigrateRequest, 'selector'>): PacketKey {
  const s = req.selector;
  const base = { src: s.src.addr, dst: s.dst.addr, proto: s.proto };
  if (s.proto === PROTO_ANY) return base;
  // The flow keeps the selector's ports, but for MH and ICMPv6 the policy matcher reads the type (and
  // ICMPv6 code) from the bytes where the destination port sits.
  if (s.proto === IPPROTO_MH) return { ...base, mhType: s.dstPort >> 8 };
  if (s.proto === IPPROTO_ICMPV6) return { ...base, srcPort: s.dstPort >> 8, dstPort: s.dstPort & 0xff };
  return { ...base, srcPort: s.srcPort, dstPort: s.dstPort };
}

function templateMatches(t: IpsecRequest, b: MigrateBundle): boolean {
  if (t.mode !== b.mode || t.proto !== b.proto) return false;
  if (b.reqid !== 0 && t.reqid !== b.reqid) return false;
  return t.mode === 'transport' || (t.src === b.oldSrc && t.dst === b.oldDst);
}

/** Validates and applies a MIGRATE; throws KernelError (EINVAL, ENOENT, ENODATA) with nothing changed. */
export function applyMigrate(spd: Spd, sad: Sad, req: MigrateRequest, lookup: MigrateLookup): MigrateOutcome {
  const n = req.bundles.length;
  if (n === 0 || n > XFRM_MAX_DEPTH) fail('EINVAL', `${n} migrate entries, need 1..${XFRM_MAX_DEPTH}`);
  const seen = new Set<string>();
  for (const b of req.bundles) {
    if (allZero(b.newSrc) || allZero(b.newDst))
      fail('EINVAL', 'a new address of a migrate entry is all zero');
    const key = bundleKey(b);
    if (seen.has(key)) fail('EINVAL', `migrate entries must be unique (${key})`);
    seen.add(key);
  }

  const policy =
    lookup === 'exact'
      ? spd.get({ selector: req.selector, dir: req.dir })
      : spd.lookup(req.dir, migrateFlowKey(req));
  if (!policy) fail('ENOENT', `no ${req.dir} policy for ${selectorKey(req.selector)}`);

  const moves: { sa: SaRecord; src: string; dst: string }[] = [];
  const taken = new Set<SaRecord>();
  for (const b of req.bundles) {
    if (b.proto === 'ipcomp') continue;
    for (const sa of sad.matching(b.proto, b.mode, b.reqid, b.oldSrc, b.oldDst)) {
      if (taken.has(sa)) continue;
      taken.add(sa);
      moves.push({ sa, src: b.newSrc, dst: b.newDst });
    }
  }

  let matched = 0;
  const templates = policy.templates.map((t) => {
    let out = t;
    for (const b of req.bundles) {
      if (!templateMatches(t, b)) continue;
      matched++;
      if (t.mode === 'tunnel') out = { ...out, src: b.newSrc, dst: b.newDst };
    }
    return out;
  });
  if (matched === 0)
    fail('ENODATA', `no template of policy ${policy.index} has the old endpoints of any entry`);

  try {
    sad.move(moves);
  } catch (e) {
    fail('ENODATA', `a migrated SA cannot be inserted: ${(e as Error).message}`);
  }
  const next: PolicyRecord = { ...policy, templates };
  spd.replace(next);
  return { policy: next, moved: moves.map((m) => m.sa) };
}
