/**
 * A multimap for indexes with many keys and mostly one value per key (a home agent's SPD filed
 * by home address, say): a key with one value holds it directly, and only a key with more gets a
 * Set, which keeps a large index small. Values keep the order they were added in; a value must not
 * itself be a Set.
 */
export class MultiMap<K, V> {
  private readonly map = new Map<K, V | Set<V>>();

  add(k: K, v: V): void {
    const have = this.map.get(k);
    if (have === undefined) this.map.set(k, v);
    else if (have instanceof Set) have.add(v);
    else if (have !== v) this.map.set(k, new Set([have, v]));
  }

  delete(k: K, v: V): void {
    const have = this.map.get(k);
    if (have === undefined) return;
    if (!(have instanceof Set)) {
      if (have === v) this.map.delete(k);
      return;
    }
    have.delete(v);
    if (have.size === 1) this.map.set(k, have.values().next().value as V);
    else if (have.size === 0) this.map.delete(k);
  }

  /** The values of `k` (a live view: copy before changing the multimap while iterating). */
  get(k: K): Iterable<V> {
    const have = this.map.get(k);
    if (have === undefined) return NONE;
    return have instanceof Set ? have : [have];
  }

  count(k: K): number {
    const have = this.map.get(k);
    return have === undefined ? 0 : have instanceof Set ? have.size : 1;
  }

  has(k: K): boolean {
    return this.map.has(k);
  }

  /** Number of keys. */
  get size(): number {
    return this.map.size;
  }

  clear(): void {
    this.map.clear();
  }
}

const NONE: readonly never[] = [];
