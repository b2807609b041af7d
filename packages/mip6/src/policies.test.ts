import { IPPROTO_ICMPV6, IPPROTO_MH, PROTO_ANY, selectorKey, selectorMatches } from '@mip6sec/core';
import { describe, expect, it } from 'vitest';
import { COA1, COA2, HA, HOA, PolicyKernel } from './fake-network.test-util.js';
import {
  haPolicies,
  installPolicies,
  type Mip6Policy,
  mnPolicies,
  removePolicies,
  syncPolicies,
} from './policies.js';

const describeSet = (ps: Mip6Policy[]) =>
  ps.map((p) => {
    const t = p.data.templates[0]!;
    const ends = t.mode === 'tunnel' ? ` ${t.src}->${t.dst}` : '';
    return `${p.id.dir} ${selectorKey(p.id.selector)} => ${t.mode}${ends} reqid ${t.reqid} prio ${p.data.priority}`;
  });

describe('mnPolicies (RFC 4877 §5, mobile node)', () => {
  it('away: BU/BA and MPS/MPA in transport, HoTI/HoT and payload tunnelled CoA<->HA', () => {
    expect(describeSet(mnPolicies({ hoa: HOA, ha: HA, coa: COA1 }))).toEqual([
      `out ${HOA}/128[0] -> ${HA}/128[0] proto 135 mh 5 => transport reqid 1 prio 100`,
      `in ${HA}/128[0] -> ${HOA}/128[0] proto 135 mh 6 => transport reqid 1 prio 100`,
      `out ${HOA}/128[146] -> ${HA}/128[0] proto 58 => transport reqid 2 prio 100`,
      `in ${HA}/128[147] -> ${HOA}/128[0] proto 58 => transport reqid 2 prio 100`,
      `out ${HOA}/128[0] -> ::/0[0] proto 135 mh 1 => tunnel ${COA1}->${HA} reqid 3 prio 110`,
      `in ::/0[0] -> ${HOA}/128[0] proto 135 mh 3 => tunnel ${HA}->${COA1} reqid 3 prio 110`,
      `out ${HOA}/128[0] -> ::/0[0] proto 255 => tunnel ${COA1}->${HA} reqid 4 prio 120`,
      `in ::/0[0] -> ${HOA}/128[0] proto 255 => tunnel ${HA}->${COA1} reqid 4 prio 120`,
    ]);
  });

  it('at home: no tunnel (the HoA is the CoA), transport entries unchanged', () => {
    const home = mnPolicies({ hoa: HOA, ha: HA, coa: HOA });
    expect(home.map((p) => p.role)).toEqual([
      'homeRegistration',
      'homeRegistration',
      'prefixDiscovery',
      'prefixDiscovery',
    ]);
    expect(mnPolicies({ hoa: HOA, ha: HA })).toEqual(home);
    // Transport entries do not depend on the CoA (HAO/RH2 are outside ESP).
    expect(mnPolicies({ hoa: HOA, ha: HA, coa: COA2 }).slice(0, 4)).toEqual(home);
  });

  it('reqids, priority and optional classes are configurable', () => {
    const ps = mnPolicies({
      hoa: HOA,
      ha: HA,
      coa: COA1,
      reqids: { homeRegistration: 11, payload: 44 },
      priority: 5,
      prefixDiscovery: false,
      homeTesting: false,
    });
    expect(ps.map((p) => [p.role, p.data.templates[0]!.reqid, p.data.priority])).toEqual([
      ['homeRegistration', 11, 5],
      ['homeRegistration', 11, 5],
      ['payload', 44, 25],
      ['payload', 44, 25],
    ]);
    expect(
      mnPolicies({ hoa: HOA, ha: HA, coa: COA1, payload: false }).some((p) => p.role === 'payload'),
    ).toBe(false);
  });

  it('the BU entry wins over the payload catch-all for a BU (lower priority value)', () => {
    const ps = mnPolicies({ hoa: HOA, ha: HA, coa: COA1 }).filter((p) => p.id.dir === 'out');
    const bu = { src: HOA, dst: HA, proto: IPPROTO_MH, mhType: 5 };
    const matching = ps
      .filter((p) => selectorMatches(p.id.selector, bu))
      .sort((a, b) => a.data.priority - b.data.priority);
    expect(matching.map((p) => p.role)).toEqual(['homeRegistration', 'payload']);
    const mps = { src: HOA, dst: HA, proto: IPPROTO_ICMPV6, srcPort: 146 };
    expect(
      ps
        .filter((p) => selectorMatches(p.id.selector, mps))
        .sort((a, b) => a.data.priority - b.data.priority)[0]!.role,
    ).toBe('prefixDiscovery');
    expect(ps.find((p) => p.role === 'payload')!.id.selector.proto).toBe(PROTO_ANY);
  });
});

describe('haPolicies (the mirror image)', () => {
  it('mirrors the MN, with the inbound tunnel side as in and fwd', () => {
    expect(describeSet(haPolicies({ hoa: HOA, ha: HA, coa: COA1 }))).toEqual([
      `in ${HOA}/128[0] -> ${HA}/128[0] proto 135 mh 5 => transport reqid 1 prio 100`,
      `out ${HA}/128[0] -> ${HOA}/128[0] proto 135 mh 6 => transport reqid 1 prio 100`,
      `in ${HOA}/128[146] -> ${HA}/128[0] proto 58 => transport reqid 2 prio 100`,
      `out ${HA}/128[147] -> ${HOA}/128[0] proto 58 => transport reqid 2 prio 100`,
      `in ${HOA}/128[0] -> ::/0[0] proto 135 mh 1 => tunnel ${COA1}->${HA} reqid 3 prio 110`,
      `fwd ${HOA}/128[0] -> ::/0[0] proto 135 mh 1 => tunnel ${COA1}->${HA} reqid 3 prio 110`,
      `out ::/0[0] -> ${HOA}/128[0] proto 135 mh 3 => tunnel ${HA}->${COA1} reqid 3 prio 110`,
      `in ${HOA}/128[0] -> ::/0[0] proto 255 => tunnel ${COA1}->${HA} reqid 4 prio 120`,
      `fwd ${HOA}/128[0] -> ::/0[0] proto 255 => tunnel ${COA1}->${HA} reqid 4 prio 120`,
      `out ::/0[0] -> ${HOA}/128[0] proto 255 => tunnel ${HA}->${COA1} reqid 4 prio 120`,
    ]);
  });
});

describe('installing through a KernelBackend', () => {
  it('adds what is missing, updates what differs, leaves the rest', async () => {
    const k = new PolicyKernel();
    const away = mnPolicies({ hoa: HOA, ha: HA, coa: COA1 });
    expect(await installPolicies(k, away)).toEqual({ added: 8, updated: 0, unchanged: 0, removed: 0 });
    expect(await installPolicies(k, away)).toEqual({ added: 0, updated: 0, unchanged: 8, removed: 0 });
    // Moving to COA2 changes only the tunnel templates.
    expect(await installPolicies(k, mnPolicies({ hoa: HOA, ha: HA, coa: COA2 }))).toEqual({
      added: 0,
      updated: 4,
      unchanged: 4,
      removed: 0,
    });
    const tunnel = (await k.dumpPolicies()).filter((p) => p.templates[0]!.mode === 'tunnel');
    expect(tunnel.every((p) => p.templates[0]!.src === COA2 || p.templates[0]!.dst === COA2)).toBe(true);
  });

  it('syncPolicies removes the tunnel on return home; removePolicies tolerates missing entries', async () => {
    const k = new PolicyKernel();
    const away = mnPolicies({ hoa: HOA, ha: HA, coa: COA1 });
    await installPolicies(k, away);
    const home = mnPolicies({ hoa: HOA, ha: HA, coa: HOA });
    expect(await syncPolicies(k, away, home)).toEqual({ added: 0, updated: 0, unchanged: 4, removed: 4 });
    expect((await k.dumpPolicies()).length).toBe(4);
    expect(await removePolicies(k, away)).toBe(4);
    expect(await removePolicies(k, away)).toBe(0);
    expect(await k.dumpPolicies()).toEqual([]);
  });

  it('with a lookup, entries found are left alone without a write, and updates compare with it', async () => {
    const k = new PolicyKernel();
    const away = mnPolicies({ hoa: HOA, ha: HA, coa: COA1 });
    await installPolicies(k, away);
    const held = new Map((await k.dumpPolicies()).map((p) => [selectorKey(p.selector) + p.dir, p]));
    const lookup = (id: { selector: Parameters<typeof selectorKey>[0]; dir: string }) =>
      held.get(selectorKey(id.selector) + id.dir);
    k.ops.length = 0;
    expect(await installPolicies(k, away, { update: false, lookup })).toEqual({
      added: 0,
      updated: 0,
      unchanged: 8,
      removed: 0,
    });
    expect(k.ops).toEqual([]);
    // An entry the lookup does not know is written (and one the kernel has after all is EEXIST).
    held.clear();
    expect((await installPolicies(k, away, { update: false, lookup })).unchanged).toBe(8);
    // Updating compares with what the lookup says: only the tunnel entries change on a move.
    for (const p of await k.dumpPolicies()) held.set(selectorKey(p.selector) + p.dir, p);
    k.ops.length = 0;
    const moved = await installPolicies(k, mnPolicies({ hoa: HOA, ha: HA, coa: COA2 }), { lookup });
    expect(moved).toEqual({ added: 0, updated: 4, unchanged: 4, removed: 0 });
    expect(k.ops.every((o) => o.startsWith('update'))).toBe(true);
  });

  it('with update: false keeps what a strategy did; an update keeps an MSRD reference', async () => {
    const k = new PolicyKernel();
    await installPolicies(k, mnPolicies({ hoa: HOA, ha: HA, coa: COA1 }));
    expect(await installPolicies(k, mnPolicies({ hoa: HOA, ha: HA, coa: COA2 }), { update: false })).toEqual({
      added: 0,
      updated: 0,
      unchanged: 8,
      removed: 0,
    });
    const payloadOut = mnPolicies({ hoa: HOA, ha: HA, coa: COA1 }).find((p) => p.role === 'payload')!;
    await k.updatePolicy(payloadOut.id, { ...payloadOut.data, ref: { mpi: 7n, refType: 1 } });
    await installPolicies(k, mnPolicies({ hoa: HOA, ha: HA, coa: COA2 }));
    expect(await k.queryPolicy(payloadOut.id)).toMatchObject({
      ref: { mpi: 7n },
      templates: [{ src: COA2, dst: HA }],
    });
  });
});
