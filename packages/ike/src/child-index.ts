/**
 * Which IKE SAs hold CHILD_SAs whose traffic selectors may overlap a policy's addresses. A home
 * agent serves thousands of mobile nodes with the same reqids, so a MIGRATE or ACQUIRE for one
 * mobile node's policy must find that node's CHILD_SAs without walking every IKE SA.
 *
 * Each IKE SA is filed, per side (local, remote), under every single-host traffic selector of its
 * CHILD_SAs, and under "wide" for a selector covering more than one host. The index is a superset:
 * entries are added when a CHILD_SA is installed or handed to a rekeyed IKE SA, and only an IKE SA
 * that ends is removed, so a caller still checks each candidate's CHILD_SAs as it would have when
 * walking all of them; it just walks far fewer.
 */
import type { ChildSa } from './child-sa.js';
import type { IkeSa } from './ike-sa.js';
import type { TsRange } from './traffic-selectors.js';

type Side = 'local' | 'remote';
const WIDE = '*';

const hostKey = (r: TsRange) => (r.start === r.end ? `${r.family} ${r.start}` : WIDE);

export class ChildSaIndex {
  private readonly buckets: Record<Side, Map<string, Set<IkeSa>>> = { local: new Map(), remote: new Map() };
  /** The keys each IKE SA is filed under, to remove it when it ends. */
  private readonly keys = new Map<IkeSa, Set<string>>();

  /** Files `sa` under the traffic selectors of one of its CHILD_SAs. */
  add(sa: IkeSa, child: ChildSa): void {
    for (const t of child.localTs) this.file(sa, 'local', hostKey(t));
    for (const t of child.remoteTs) this.file(sa, 'remote', hostKey(t));
  }

  /** Files `sa` under every CHILD_SA it holds now (CHILD_SAs handed over by an IKE rekey). */
  addAll(sa: IkeSa): void {
    for (const c of sa.children) this.add(sa, c);
  }

  /** Forgets an IKE SA that ended. */
  remove(sa: IkeSa): void {
    for (const k of this.keys.get(sa) ?? []) {
      const [side, key] = splitKey(k);
      const set = this.buckets[side].get(key);
      set?.delete(sa);
      if (set?.size === 0) this.buckets[side].delete(key);
    }
    this.keys.delete(sa);
  }

  /**
   * IKE SAs that may hold a CHILD_SA overlapping both ranges (each a policy side), or undefined
   * when neither range is a single host and every IKE SA must be looked at.
   */
  candidates(local: TsRange, remote: TsRange): IkeSa[] | undefined {
    const pick = (side: Side, r: TsRange) => {
      if (r.start !== r.end) return undefined;
      const sets = [this.buckets[side].get(hostKey(r)), this.buckets[side].get(WIDE)].filter(
        (s): s is Set<IkeSa> => s !== undefined,
      );
      return { sets, size: sets.reduce((n, s) => n + s.size, 0) };
    };
    const l = pick('local', local);
    const r = pick('remote', remote);
    const best = l && r ? (l.size < r.size ? l : r) : (l ?? r);
    if (!best) return undefined;
    const out = new Set<IkeSa>();
    for (const s of best.sets) for (const sa of s) out.add(sa);
    return [...out];
  }

  /** IKE SAs filed, for tests. */
  get size(): number {
    return this.keys.size;
  }

  private file(sa: IkeSa, side: Side, key: string): void {
    let set = this.buckets[side].get(key);
    if (!set) {
      set = new Set();
      this.buckets[side].set(key, set);
    }
    set.add(sa);
    let mine = this.keys.get(sa);
    if (!mine) {
      mine = new Set();
      this.keys.set(sa, mine);
    }
    mine.add(`${side}|${key}`);
  }
}

function splitKey(k: string): [Side, string] {
  const i = k.indexOf('|');
  return [k.slice(0, i) as Side, k.slice(i + 1)];
}
