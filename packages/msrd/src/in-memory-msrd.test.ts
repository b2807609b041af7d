import { selector } from '@mip6sec/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MPI_MAX } from './constants.js';
import { InMemoryMsrd } from './in-memory-msrd.js';
import type { MsrdChange } from './record.js';

const HOA = '2001:db8:0:1::100';
const HA = '2001:db8:0:1::1';
const COA = '2001:db8:a::100';

describe('InMemoryMsrd', () => {
  it('creates, reads, updates and deletes records, announcing each change after it happened', async () => {
    const store = new InMemoryMsrd();
    const changes: MsrdChange[] = [];
    store.changes.subscribe((c) => changes.push(c));
    const rec = await store.create({ hoa: '2001:DB8:0:1:0:0:0:100', ha: HA, coa: COA });
    expect(rec).toEqual({ mpi: 1n, hoa: HOA, ha: HA, coa: COA, policies: [], reqids: [], version: 1 });
    expect(await store.get(1n)).toBe(rec);
    expect(await store.findByBinding(HOA, HA)).toBe(rec);
    const policy = { selector: selector(HOA, HA), dir: 'out' as const };
    const moved = await store.update(1n, {
      coa: '2001:db8:b::100',
      policies: [policy, policy],
      reqids: [4, 3, 4],
    });
    expect(moved).toMatchObject({ coa: '2001:db8:b::100', policies: [policy], reqids: [3, 4], version: 2 });
    expect(await store.list()).toEqual([moved]);
    expect(await store.delete(1n)).toBe(true);
    expect(await store.delete(1n)).toBe(false);
    expect(await store.get(1n)).toBeUndefined();
    expect(await store.findByBinding(HOA, HA)).toBeUndefined();
    expect(changes.map((c) => [c.op, c.record.version, c.previous?.version])).toEqual([
      ['create', 1, undefined],
      ['update', 2, 1],
      ['delete', 2, 2],
    ]);
  });

  it('an update that changes nothing keeps the version and announces nothing', async () => {
    const store = new InMemoryMsrd();
    const rec = await store.create({ hoa: HOA, ha: HA, coa: COA, reqids: [1] });
    let n = 0;
    store.changes.subscribe(() => n++);
    expect(await store.update(rec.mpi, { coa: COA, reqids: [1] })).toBe(rec);
    expect(n).toBe(0);
  });

  it('refuses bad input with typed errors and leaves the store as it was', async () => {
    const store = new InMemoryMsrd();
    await expect(store.create({ hoa: 'nope', ha: HA, coa: COA })).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(store.create({ hoa: HOA, ha: HA, coa: COA, reqids: [-1] })).rejects.toMatchObject({
      code: 'EINVAL',
    });
    await expect(
      store.create({ hoa: HOA, ha: HA, coa: COA, policies: [{ dir: 'sideways' } as never] }),
    ).rejects.toMatchObject({ code: 'EINVAL' });
    expect(await store.list()).toEqual([]);
    const rec = await store.create({ hoa: HOA, ha: HA, coa: COA });
    await expect(store.create({ hoa: HOA, ha: HA, coa: COA })).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(store.update(7n, { coa: COA })).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(store.update(0n, { coa: COA })).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(store.update(rec.mpi, { coa: '1.2.3' })).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(store.update(rec.mpi, { coa: COA }, 9)).rejects.toMatchObject({ code: 'ESTALE' });
    expect(await store.get(rec.mpi)).toBe(rec);
    expect(await store.get(42 as never)).toBeUndefined();
  });

  it('allocates u64 MPIs upwards, never 0, never again after a delete, and says ENOSPC at the end', async () => {
    const store = new InMemoryMsrd({ firstMpi: MPI_MAX - 1n });
    const a = await store.create({ hoa: HOA, ha: HA, coa: COA });
    await store.delete(a.mpi);
    const b = await store.create({ hoa: HOA, ha: HA, coa: COA });
    expect([a.mpi, b.mpi]).toEqual([MPI_MAX - 1n, MPI_MAX]);
    await expect(store.create({ hoa: '2001:db8:0:1::101', ha: HA, coa: COA })).rejects.toMatchObject({
      code: 'ENOSPC',
    });
    expect(() => new InMemoryMsrd({ firstMpi: 0n })).toThrow(/MPI/);
  });

  it('keeps MPIs unique and increasing over any sequence of creates and deletes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 15 })), { maxLength: 60 }),
        async (ops) => {
          const store = new InMemoryMsrd();
          const seen: bigint[] = [];
          for (const [create, n] of ops) {
            const hoa = `2001:db8:0:1::${(n + 1).toString(16)}`;
            const found = await store.findByBinding(hoa, HA);
            if (create && !found) seen.push((await store.create({ hoa, ha: HA, coa: COA })).mpi);
            else if (!create && found) await store.delete(found.mpi);
          }
          for (let i = 1; i < seen.length; i++) expect(seen[i]! > seen[i - 1]!).toBe(true);
          const live = (await store.list()).map((r) => r.mpi);
          expect(new Set(live).size).toBe(live.length);
        },
      ),
      { numRuns: 100 },
    );
  });
});
