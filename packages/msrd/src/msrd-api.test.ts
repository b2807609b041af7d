import { describe, expect, it } from 'vitest';
import { InMemoryMsrd } from './in-memory-msrd.js';
import { IkeMsrdApi, KernelMsrdApi, Mip6MsrdApi } from './msrd-api.js';

const HOA = '2001:db8:0:1::100';
const HA = '2001:db8:0:1::1';

describe('the MSRD faces', () => {
  it('MIPv6 registers on bootstrap, moves on movement, and a repeat changes nothing', async () => {
    const store = new InMemoryMsrd();
    const mip6 = new Mip6MsrdApi(store);
    const a = await mip6.register(HOA, HA, '2001:db8:a::1');
    expect(a).toMatchObject({ created: true, moved: false, record: { mpi: 1n, coa: '2001:db8:a::1' } });
    const b = await mip6.register(HOA, HA, '2001:db8:b::1');
    expect(b).toMatchObject({
      created: false,
      moved: true,
      record: { mpi: 1n, coa: '2001:db8:b::1', version: 2 },
    });
    const c = await mip6.register(HOA, HA, '2001:db8:b::1');
    expect(c).toMatchObject({ created: false, moved: false, record: { version: 2 } });
  });

  it('two writers sharing a store bootstrapping the same binding end with one record', async () => {
    const store = new InMemoryMsrd();
    const [x, y] = await Promise.all([
      new Mip6MsrdApi(store).register(HOA, HA, '2001:db8:a::1'),
      new Mip6MsrdApi(store).register(HOA, HA, '2001:db8:a::1'),
    ]);
    expect(x.record.mpi).toBe(y.record.mpi);
    expect(await store.list()).toHaveLength(1);
  });

  it('IKE reads by MPI only references of its type; the kernel queries the addresses', async () => {
    const store = new InMemoryMsrd();
    const { record } = await new Mip6MsrdApi(store).register(HOA, HA, '2001:db8:a::1');
    const ike = new IkeMsrdApi(store, 1);
    expect(await ike.lookup({ mpi: record.mpi, refType: 1 })).toBe(record);
    expect(await ike.lookup({ mpi: record.mpi, refType: 2 })).toBeUndefined();
    expect(await ike.lookup({ mpi: 99n, refType: 1 })).toBeUndefined();
    expect(await new KernelMsrdApi(store).query(record.mpi)).toEqual({
      hoa: HOA,
      ha: HA,
      coa: '2001:db8:a::1',
    });
  });
});
