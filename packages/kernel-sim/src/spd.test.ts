import {
  canonicalIp,
  type Direction,
  IPPROTO_MH,
  type PacketKey,
  type PolicyData,
  parsePrefix,
  selector,
} from '@mip6sec/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { directionOfIndex, Spd, spdPart } from './spd.js';

const protect = (priority = 0, reqid = 0): PolicyData => ({
  action: 'protect',
  priority,
  templates: [{ proto: 'esp', mode: 'transport', level: reqid ? 'unique' : 'require', reqid }],
});
const bypass = (priority = 0): PolicyData => ({ action: 'bypass', priority, templates: [] });

describe('Spd', () => {
  it('gives Linux-style indexes with the direction in the low three bits', () => {
    const spd = new Spd();
    const a = spd.add(
      { selector: selector('2001:db8::1', '2001:db8::2'), dir: 'out' },
      protect(),
      false,
    ).policy;
    const b = spd.add(
      { selector: selector('2001:db8::1', '2001:db8::3'), dir: 'out' },
      protect(),
      false,
    ).policy;
    const c = spd.add(
      { selector: selector('2001:db8::2', '2001:db8::1'), dir: 'in' },
      protect(),
      false,
    ).policy;
    expect([a.index, b.index, c.index]).toEqual([1, 9, 16]);
    expect(directionOfIndex(c.index)).toBe('in');
    expect(spd.getByIndex(9)).toBe(b);
    expect(() => spd.getByIndex(7)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('refuses a second add for the same selector and direction (EEXIST); update replaces and keeps the index', () => {
    const spd = new Spd();
    const id = { selector: selector('10.0.0.1', '10.0.0.2'), dir: 'out' as Direction };
    const first = spd.add(id, protect(5), false).policy;
    expect(() => spd.add(id, protect(5), false)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    const { policy, replaced } = spd.add(id, bypass(1), true);
    expect(replaced).toBe(first);
    expect(policy.index).toBe(first.index);
    expect(policy.action).toBe('bypass');
    expect(spd.size).toBe(1);
  });

  it('deletes by selector and by index, ENOENT when absent', () => {
    const spd = new Spd();
    const id = { selector: selector('10.0.0.1', '10.0.0.2'), dir: 'in' as Direction };
    const p = spd.add(id, protect(), false).policy;
    expect(spd.delete(id)).toBe(p);
    expect(() => spd.delete(id)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    const q = spd.add(id, protect(), false).policy;
    expect(spd.deleteByIndex(q.index)).toBe(q);
    expect(() => spd.deleteByIndex(q.index)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('first match: lowest priority value, then the earlier policy', () => {
    const spd = new Spd();
    const wide = spd.add(
      { selector: selector(parsePrefix('::/0'), parsePrefix('::/0')), dir: 'out' },
      bypass(10),
      false,
    );
    const narrow = spd.add(
      { selector: selector(parsePrefix('2001:db8::/32'), parsePrefix('::/0')), dir: 'out' },
      protect(10),
      false,
    );
    const key: PacketKey = { src: '2001:db8::5', dst: '2001:db8:1::9', proto: 17 };
    expect(spd.lookup('out', key)).toBe(wide.policy);
    const urgent = spd.add(
      { selector: selector(parsePrefix('2001:db8::/48'), parsePrefix('::/0')), dir: 'out' },
      protect(2),
      false,
    );
    expect(spd.lookup('out', key)).toBe(urgent.policy);
    expect(spd.lookup('in', key)).toBeUndefined();
    expect(spd.lookup('out', { ...key, src: '2001:db9::1' })).toBe(wide.policy);
    expect(narrow.policy.priority).toBe(10);
  });

  it('UNIQUE keeps a manual reqid, gets a kernel one above 0x3fff otherwise; other levels carry 0', () => {
    const spd = new Spd();
    const mk = (level: 'unique' | 'require', reqid: number, dst: string) =>
      spd.add(
        { selector: selector('2001:db8::1', dst), dir: 'out' },
        { action: 'protect', priority: 0, templates: [{ proto: 'esp', mode: 'transport', level, reqid }] },
        false,
      ).policy.templates[0]!.reqid;
    expect(mk('unique', 7, '2001:db8::2')).toBe(7);
    expect(mk('unique', 0, '2001:db8::3')).toBe(0x4000);
    expect(mk('unique', 0x7e57, '2001:db8::4')).toBe(0x4001);
    expect(mk('require', 9, '2001:db8::5')).toBe(0);
  });

  it('refuses an optional tunnel template on an outbound policy (EINVAL)', () => {
    const spd = new Spd();
    expect(() =>
      spd.add(
        { selector: selector('2001:db8::1', '2001:db8::2'), dir: 'out' },
        {
          action: 'protect',
          priority: 0,
          templates: [
            { proto: 'esp', mode: 'tunnel', level: 'use', reqid: 0, src: '2001:db8::a', dst: '2001:db8::b' },
          ],
        },
        false,
      ),
    ).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('selects on MH type', () => {
    const spd = new Spd();
    const bu = spd.add(
      { selector: selector('2001:db8::100', '2001:db8::1', { proto: IPPROTO_MH, mhType: 5 }), dir: 'out' },
      protect(),
      false,
    ).policy;
    expect(
      spd.lookup('out', { src: '2001:db8::100', dst: '2001:db8::1', proto: IPPROTO_MH, mhType: 5 }),
    ).toBe(bu);
    expect(
      spd.lookup('out', { src: '2001:db8::100', dst: '2001:db8::1', proto: IPPROTO_MH, mhType: 1 }),
    ).toBeUndefined();
  });

  it('names the RFC 4301 parts', () => {
    expect(spdPart({ action: 'protect', dir: 'in' })).toBe('SPD-S');
    expect(spdPart({ action: 'bypass', dir: 'out' })).toBe('SPD-O');
    expect(spdPart({ action: 'discard', dir: 'fwd' })).toBe('SPD-I');
  });

  // The index must give the linear scan's answer for any SPD and any packet.
  it('indexed lookup equals a linear scan (property)', () => {
    const v6 = ['2001:db8::1', '2001:db8::2', '2001:db8:0:1::1', '2001:db8:ffff::7', 'fe80::1'];
    const v4 = ['10.0.0.1', '10.0.0.2', '10.1.2.3', '192.0.2.9'];
    const addr = fc.oneof(fc.constantFrom(...v6), fc.constantFrom(...v4));
    const prefixFor = (a: string, lens: number[]) =>
      fc.constantFrom(...lens).map((len) => ({ addr: a, len: a.includes(':') ? len : Math.min(len, 32) }));
    const sel = addr.chain((s) =>
      fc
        .tuple(
          prefixFor(s, [0, 3, 16, 33, 48, 64, 127, 128]),
          (s.includes(':') ? fc.constantFrom(...v6) : fc.constantFrom(...v4)).chain((d) =>
            prefixFor(d, [0, 8, 32, 64, 126, 128]),
          ),
          fc.constantFrom(255, 6, 17, IPPROTO_MH),
          fc.constantFrom(0, 500, 4500),
          fc.constantFrom(0, 500),
          fc.constantFrom(undefined, 5, 6),
        )
        .map(([src, dst, proto, sp, dp, mh]) =>
          selector(src, dst, {
            proto,
            ...(proto === IPPROTO_MH
              ? mh === undefined
                ? {}
                : { mhType: mh }
              : { srcPort: sp, dstPort: dp }),
          }),
        ),
    );
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('add' as const),
        sel,
        dir: fc.constantFrom<Direction>('in', 'out'),
        priority: fc.integer({ min: 0, max: 3 }),
        update: fc.boolean(),
      }),
      fc.record({ kind: fc.constant('del' as const), pick: fc.nat() }),
    );
    const packet = fc
      .tuple(
        addr,
        fc.nat(),
        fc.constantFrom(6, 17, IPPROTO_MH, 58),
        fc.constantFrom(0, 500, 4500, 9),
        fc.constantFrom(5, 6, 1),
      )
      .map(([s, di, proto, port, mh]): PacketKey => {
        const pool = s.includes(':') ? v6 : v4;
        const d = pool[di % pool.length]!;
        return proto === IPPROTO_MH
          ? { src: s, dst: d, proto, mhType: mh }
          : { src: s, dst: d, proto, srcPort: port, dstPort: 500 };
      });
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 60 }),
        fc.array(packet, { minLength: 1, maxLength: 30 }),
        (ops, packets) => {
          const spd = new Spd();
          for (const o of ops) {
            if (o.kind === 'add') {
              try {
                spd.add({ selector: o.sel, dir: o.dir }, protect(o.priority), o.update);
              } catch {
                /* EEXIST is part of the game */
              }
            } else {
              const all = spd.dump();
              if (all.length > 0) spd.deleteByIndex(all[o.pick % all.length]!.index);
            }
          }
          for (const p of packets) {
            for (const dir of ['in', 'out'] as const)
              expect(spd.lookup(dir, p)).toBe(spd.linearLookup(dir, p));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('stays correct at scale: 100 000 host policies among wildcard ones', () => {
    const spd = new Spd();
    const n = 100_000;
    // Canonical text, as packet keys parsed from bytes and selectors both carry it.
    const hoa = (i: number) =>
      canonicalIp(`2001:db8:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::100`);
    for (let i = 0; i < n; i++) {
      spd.add(
        { selector: selector(hoa(i), '2001:db8::1', { proto: IPPROTO_MH, mhType: 5 }), dir: 'out' },
        protect(5),
        false,
      );
    }
    const catchAll = spd.add(
      { selector: selector(parsePrefix('::/0'), parsePrefix('::/0')), dir: 'out' },
      bypass(100),
      false,
    ).policy;
    const urgent = spd.add(
      { selector: selector(parsePrefix('2001:db8:1::/48'), parsePrefix('::/0')), dir: 'out' },
      bypass(1),
      false,
    ).policy;
    for (let k = 0; k < 2000; k++) {
      const i = (k * 7919) % n;
      const got = spd.lookup('out', { src: hoa(i), dst: '2001:db8::1', proto: IPPROTO_MH, mhType: 5 });
      if (i >> 16 === 1) expect(got).toBe(urgent);
      else expect(got?.selector.src.addr).toBe(hoa(i));
      expect(spd.lookup('out', { src: hoa(i), dst: '2001:db8::1', proto: IPPROTO_MH, mhType: 6 })).toBe(
        i >> 16 === 1 ? urgent : catchAll,
      );
    }
    expect(spd.size).toBe(n + 2);
  });
});
