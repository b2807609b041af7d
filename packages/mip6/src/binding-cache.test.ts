import { VirtualClock } from '@mip6sec/core';
import { describe, expect, it } from 'vitest';
import { BindingCache, type BindingCacheChange, type BindingCacheEntry } from './binding-cache.js';
import { COA1, COA2, HA, HOA } from './fake-network.test-util.js';

describe('BindingCache', () => {
  const binding = (coa: string, seq: number, lifetime = 100) => ({
    hoa: HOA,
    coa,
    ha: HA,
    lifetime,
    seq,
    kBit: true,
    identity: 'mn@example',
  });

  it('adds, updates and deletes, publishing each change', () => {
    const clock = new VirtualClock();
    const cache = new BindingCache(clock);
    const changes: BindingCacheChange[] = [];
    cache.changes.subscribe((c) => changes.push(c));
    cache.upsert(binding(COA1, 1));
    cache.upsert(binding(COA2, 2));
    expect(cache.lookup(HOA)).toMatchObject({ coa: COA2, seq: 2, expiresAt: 100_000 });
    expect(cache.size).toBe(1);
    expect(cache.delete(HOA)).toMatchObject({ coa: COA2 });
    expect(cache.delete(HOA)).toBeUndefined();
    expect(changes.map((c) => c.op)).toEqual(['add', 'update', 'delete']);
    expect(changes[1]).toMatchObject({ previous: { coa: COA1 } });
    expect(changes[2]).toMatchObject({ reason: 'deregistration' });
  });

  it('expires an entry when its lifetime runs out on the clock, and a refresh restarts the timer', () => {
    const clock = new VirtualClock();
    const expired: BindingCacheEntry[] = [];
    const cache = new BindingCache(clock, (e) => expired.push(e));
    cache.upsert(binding(COA1, 1, 10));
    clock.advance(9_000);
    cache.upsert(binding(COA1, 2, 10));
    clock.advance(9_999);
    expect(cache.lookup(HOA)).toBeDefined();
    clock.advance(1);
    expect(cache.lookup(HOA)).toBeUndefined();
    expect(expired.map((e) => e.seq)).toEqual([2]);
    expect(clock.pending).toBe(0);
  });

  it('clear cancels timers without publishing', () => {
    const clock = new VirtualClock();
    const cache = new BindingCache(clock);
    const changes: BindingCacheChange[] = [];
    cache.changes.subscribe((c) => changes.push(c));
    cache.upsert(binding(COA1, 1));
    cache.clear();
    expect(clock.pending).toBe(0);
    expect(cache.list()).toEqual([]);
    expect(changes.length).toBe(1);
  });
});
