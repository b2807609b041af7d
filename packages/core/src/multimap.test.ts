import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MultiMap } from './multimap.js';

describe('MultiMap', () => {
  it('holds what a map of sets holds, after any adds and deletes', () => {
    const step = fc.record({ add: fc.boolean(), k: fc.nat(4), v: fc.nat(6) });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const m = new MultiMap<number, number>();
        const ref = new Map<number, Set<number>>();
        for (const s of steps) {
          if (s.add) {
            m.add(s.k, s.v);
            ref.set(s.k, (ref.get(s.k) ?? new Set()).add(s.v));
          } else {
            m.delete(s.k, s.v);
            ref.get(s.k)?.delete(s.v);
            if (ref.get(s.k)?.size === 0) ref.delete(s.k);
          }
        }
        expect(m.size).toBe(ref.size);
        for (let k = 0; k <= 4; k++) {
          expect(new Set(m.get(k))).toEqual(ref.get(k) ?? new Set());
          expect(m.count(k)).toBe(ref.get(k)?.size ?? 0);
          expect(m.has(k)).toBe(ref.has(k));
        }
      }),
    );
  });

  it('keeps insertion order and clears', () => {
    const m = new MultiMap<string, number>();
    m.add('a', 3);
    m.add('a', 1);
    m.add('a', 3);
    m.add('a', 2);
    expect([...m.get('a')]).toEqual([3, 1, 2]);
    m.clear();
    expect([...m.get('a')]).toEqual([]);
  });
});
