/**
 * The Security Policy Database (RFC 4301 section 4.4.1): one ordered list per direction (Linux's in, out
 * and fwd), lowest priority value first, then insertion order, first match wins. RFC 4301 splits it into
 * SPD-S (protect), SPD-O (outbound bypass/discard) and SPD-I (inbound bypass/discard); here the three are
 * views of the one ordered list ({@link spdPart}), which keeps first-match identical to the combined SPD.
 * Lookups go through {@link SpdIndex}; exact operations (add, delete, get) through a selector-keyed map.
 */
import {
  type Direction,
  type IpsecRequest,
  type PacketKey,
  type PolicyData,
  type PolicyId,
  policyKey,
  type SecurityPolicy,
  selectorMatches,
} from '@mip6sec/core';
import { fail } from './errors.js';
import { comparePolicies, linearLookup, SpdIndex } from './spd-index.js';

/** A stored policy: the contract's SecurityPolicy plus its rank among equal priorities. */
export interface PolicyRecord extends SecurityPolicy {
  /** Insertion sequence, the tie-break between equal priorities. */
  readonly seq: number;
  /** Clock milliseconds when the policy was added. */
  readonly addedAt: number;
}

/** XFRM direction numbers, the low three bits of a Linux policy index. */
export const XFRM_DIR: Readonly<Record<Direction, number>> = { in: 0, out: 1, fwd: 2 };
const DIR_OF_XFRM: readonly Direction[] = ['in', 'out', 'fwd'];
/** IPSEC_MANUAL_REQID_MAX in linux/ipsec.h: reqids above it are the kernel's to hand out. */
export const IPSEC_MANUAL_REQID_MAX = 0x3fff;
/** XFRM_MAX_DEPTH: templates per policy. */
export const XFRM_MAX_DEPTH = 6;

/** Which part of the RFC 4301 SPD a policy belongs to. */
export function spdPart(p: Pick<SecurityPolicy, 'action' | 'dir'>): 'SPD-S' | 'SPD-O' | 'SPD-I' {
  if (p.action === 'protect') return 'SPD-S';
  return p.dir === 'out' ? 'SPD-O' : 'SPD-I';
}

/** The direction a Linux policy index encodes, or undefined when its low bits name none. */
export function directionOfIndex(index: number): Direction | undefined {
  return DIR_OF_XFRM[index & 7];
}

export interface SpdSnapshot {
  readonly policies: readonly PolicyRecord[];
  readonly indexGenerator: number;
  readonly reqidGenerator: number;
}

export class Spd {
  private readonly byKey = new Map<string, PolicyRecord>();
  private readonly byIndex = new Map<number, PolicyRecord>();
  private readonly indexes: Record<Direction, SpdIndex<PolicyRecord>> = {
    in: new SpdIndex(),
    out: new SpdIndex(),
    fwd: new SpdIndex(),
  };
  private seqGen = 0;
  private indexGen = 0;
  private reqidGen = IPSEC_MANUAL_REQID_MAX;
  // How many templates use each reqid, so a generated one never collides.
  private readonly reqidUse = new Map<number, number>();

  get size(): number {
    return this.byKey.size;
  }

  /**
   * SADB_X_SPDADD (`update` false: EEXIST when the selector and direction exist) or SADB_X_SPDUPDATE
   * (replaces, keeping the index). Templates are normalised as af_key.c does: UNIQUE keeps a manual reqid
   * and gets a kernel one when it has none (or one above IPSEC_MANUAL_REQID_MAX), other levels carry 0.
   */
  add(
    id: PolicyId,
    data: PolicyData,
    update: boolean,
    now = 0,
  ): { policy: PolicyRecord; replaced?: PolicyRecord } {
    const key = policyKey(id);
    const old = this.byKey.get(key);
    if (old && !update) fail('EEXIST', `a ${id.dir} policy for this selector exists (index ${old.index})`);
    const templates = this.normaliseTemplates(id.dir, data.templates);
    const policy: PolicyRecord = {
      selector: id.selector,
      dir: id.dir,
      action: data.action,
      priority: data.priority >>> 0,
      templates,
      ...(data.ref ? { ref: data.ref } : {}),
      index: old ? old.index : this.nextIndex(id.dir),
      seq: ++this.seqGen,
      addedAt: now,
    };
    if (old) this.unlink(old);
    this.link(policy);
    return old ? { policy, replaced: old } : { policy };
  }

  /** Exact selector and direction (SADB_X_SPDDELETE); ENOENT when absent. */
  delete(id: PolicyId): PolicyRecord {
    const p = this.byKey.get(policyKey(id));
    if (!p) fail('ENOENT', `no ${id.dir} policy with that selector`);
    this.unlink(p);
    return p;
  }

  /** By index (SADB_X_SPDDELETE2); EINVAL when the index names no direction, ENOENT when absent. */
  deleteByIndex(index: number): PolicyRecord {
    const p = this.getByIndex(index);
    if (!p) fail('ENOENT', `no policy with index ${index}`);
    this.unlink(p);
    return p;
  }

  get(id: PolicyId): PolicyRecord | undefined {
    return this.byKey.get(policyKey(id));
  }

  /** By index (SADB_X_SPDGET); EINVAL when the index's low bits name no direction. */
  getByIndex(index: number): PolicyRecord | undefined {
    if (directionOfIndex(index) === undefined) fail('EINVAL', `policy index ${index} encodes no direction`);
    return this.byIndex.get(index >>> 0);
  }

  /** First match for a packet in one direction (indexed). */
  lookup(dir: Direction, key: PacketKey): PolicyRecord | undefined {
    return this.indexes[dir].lookup(key);
  }

  /** First match by scanning every policy: the reference the index is tested against. */
  linearLookup(dir: Direction, key: PacketKey): PolicyRecord | undefined {
    return linearLookup(
      [...this.byKey.values()].filter((p) => p.dir === dir),
      key,
      selectorMatches,
    );
  }

  /** Every policy, by direction (out, in, fwd) and SPD order within a direction. */
  dump(): PolicyRecord[] {
    const order: Direction[] = ['out', 'in', 'fwd'];
    return [...this.byKey.values()].sort(
      (a, b) => order.indexOf(a.dir) - order.indexOf(b.dir) || comparePolicies(a, b),
    );
  }

  /** Removes every policy; returns how many there were. */
  flush(): number {
    const n = this.byKey.size;
    this.byKey.clear();
    this.byIndex.clear();
    this.reqidUse.clear();
    for (const ix of Object.values(this.indexes)) ix.clear();
    return n;
  }

  /** Puts a changed record in place of the one with its index (MIGRATE moves template endpoints). */
  replace(next: PolicyRecord): void {
    const old = this.byIndex.get(next.index);
    if (!old) fail('ENOENT', `no policy with index ${next.index}`);
    this.unlink(old);
    this.link(next);
  }

  snapshot(): SpdSnapshot {
    return { policies: this.dump(), indexGenerator: this.indexGen, reqidGenerator: this.reqidGen };
  }

  private link(p: PolicyRecord): void {
    this.byKey.set(policyKey(p), p);
    this.byIndex.set(p.index, p);
    this.indexes[p.dir].add(p);
    for (const t of p.templates) this.reqidUse.set(t.reqid, (this.reqidUse.get(t.reqid) ?? 0) + 1);
  }

  private unlink(p: PolicyRecord): void {
    this.byKey.delete(policyKey(p));
    this.byIndex.delete(p.index);
    this.indexes[p.dir].remove(p);
    for (const t of p.templates) {
      const n = (this.reqidUse.get(t.reqid) ?? 1) - 1;
      if (n === 0) this.reqidUse.delete(t.reqid);
      else this.reqidUse.set(t.reqid, n);
    }
  }

  // Linux xfrm_gen_index: a generator stepping by 8 with the direction in the low bits, skipping used ones.
  private nextIndex(dir: Direction): number {
    for (;;) {
      const index = (this.indexGen | XFRM_DIR[dir]) >>> 0 || XFRM_DIR[dir];
      this.indexGen = (this.indexGen + 8) >>> 0;
      if (index !== 0 && !this.byIndex.has(index)) return index;
    }
  }

  private normaliseTemplates(dir: Direction, templates: readonly IpsecRequest[]): IpsecRequest[] {
    if (templates.length > XFRM_MAX_DEPTH)
      fail('EINVAL', `${templates.length} templates, at most ${XFRM_MAX_DEPTH}`);
    const used = new Set<number>();
    return templates.map((t) => {
      if (t.level === 'use' && t.mode === 'tunnel' && dir === 'out') {
        fail('EINVAL', 'an optional (use) tunnel template is not allowed in an outbound policy');
      }
      if (t.mode === 'tunnel' && (t.src === undefined || t.dst === undefined)) {
        fail('EINVAL', 'a tunnel template needs its endpoints');
      }
      let reqid = 0;
      const level = t.level === 'default' ? 'require' : t.level;
      if (level === 'unique') {
        reqid = t.reqid > 0 && t.reqid <= IPSEC_MANUAL_REQID_MAX ? t.reqid : this.nextReqid(used);
        used.add(reqid);
      }
      return { ...t, level, reqid };
    });
  }

  // Linux gen_reqid: above IPSEC_MANUAL_REQID_MAX, skipping reqids some policy already uses.
  private nextReqid(alsoUsed: Set<number>): number {
    for (let tries = 0; tries < 0x1_0000_0000; tries++) {
      this.reqidGen = this.reqidGen >= 0xffffffff ? IPSEC_MANUAL_REQID_MAX + 1 : this.reqidGen + 1;
      if (!this.reqidUse.has(this.reqidGen) && !alsoUsed.has(this.reqidGen)) return this.reqidGen;
    }
    return fail('ENOBUFS', 'no reqid left');
  }
}
