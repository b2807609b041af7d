import {
  IPPROTO_MH,
  type KernelMigrate,
  type KernelPolicyChanged,
  migrateLooseKey,
  parsePrefix,
  policyKey,
  type ResolvedAddresses,
  type SecurityPolicy,
  selector,
} from '@mip6sec/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpdImage } from './spd-image.js';
import {
  hostRange,
  isSubset,
  narrow,
  parseTs,
  rangeFromSelector,
  type TsRange,
} from './traffic-selectors.js';

const HOA = '2001:db8:1::100';
const HA = '2001:db8:1::1';
const COA = '2001:db8:c::5';

function policy(
  dir: 'in' | 'out',
  src: string,
  dst: string,
  reqid: number,
  extra: Partial<SecurityPolicy> = {},
): SecurityPolicy {
  return {
    index: reqid,
    selector: selector(src, dst, { proto: IPPROTO_MH }),
    dir,
    action: 'protect',
    priority: 10,
    templates: [{ proto: 'esp', mode: 'transport', level: 'require', reqid }],
    ...extra,
  };
}

describe('SpdImage', () => {
  it('follows the kernel: load, add, update, delete, flush', () => {
    const spd = new SpdImage();
    const out = policy('out', HOA, HA, 1);
    spd.load([out]);
    spd.apply({ type: 'kernel.policy', op: 'add', policy: policy('in', HA, HOA, 2) });
    expect(spd.size).toBe(2);
    spd.apply({ type: 'kernel.policy', op: 'update', policy: { ...out, priority: 5 } });
    expect(spd.get(out)?.priority).toBe(5);
    spd.apply({ type: 'kernel.policy', op: 'delete', policy: out });
    expect(spd.get(out)).toBeUndefined();
    expect(spd.byReqid(2)).toHaveLength(1);
    spd.apply({ type: 'kernel.policy', op: 'flush' });
    expect(spd.all()).toEqual([]);
  });

  it('keeps per-policy hints, falling back to tunnel template endpoints, and moves them on MIGRATE', () => {
    const spd = new SpdImage();
    const tunnel: SecurityPolicy = {
      index: 9,
      selector: selector(HOA, { addr: '::', len: 0 }, { proto: IPPROTO_MH }),
      dir: 'out',
      action: 'protect',
      priority: 10,
      templates: [{ proto: 'esp', mode: 'tunnel', level: 'require', reqid: 9, src: COA, dst: HA }],
    };
    const transport = policy('out', HOA, HA, 1);
    spd.load([tunnel, transport]);
    expect(spd.hintFor(tunnel)).toEqual({ local: COA, remote: HA });
    expect(spd.hintFor(transport)).toBeUndefined();
    spd.setHint(transport, { local: COA, remote: HA });
    expect(spd.hintFor(transport)).toEqual({ local: COA, remote: HA });
    const COA2 = '2001:db8:d::5';
    spd.migrate({
      type: 'kernel.migrate',
      selector: tunnel.selector,
      dir: 'out',
      bundles: [
        {
          proto: 'esp',
          mode: 'tunnel',
          level: 'require',
          reqid: 9,
          oldSrc: COA,
          oldDst: HA,
          newSrc: COA2,
          newDst: HA,
        },
      ],
    });
    expect(spd.get(tunnel)?.templates[0]).toMatchObject({ src: COA2, dst: HA });
    expect(spd.hintFor(tunnel)).toEqual({ local: COA2, remote: HA });
    spd.migrate({
      type: 'kernel.migrate',
      selector: transport.selector,
      dir: 'out',
      bundles: [],
      kmaddress: { local: COA2, remote: HA },
    });
    expect(spd.hintFor(transport)).toEqual({ local: COA2, remote: HA });
    spd.moveHints({ remote: HA }, { local: COA, remote: HA });
    expect(spd.hintFor(transport)).toEqual({ local: COA, remote: HA });
  });

  it('narrows an offer against inbound policies and finds the reverse outbound one', () => {
    const spd = new SpdImage();
    spd.load([
      policy('in', HOA, HA, 0x21),
      policy('out', HA, HOA, 0x20),
      policy('in', '2001:db8:9::1', HA, 0x31),
    ]);
    const wild = parseTs('%any6[mh]') as TsRange;
    const found = spd.narrowOffer([hostRange(HA, 135)], [wild]);
    expect(found?.in.templates[0]?.reqid).toBe(0x21);
    expect(found?.out?.templates[0]?.reqid).toBe(0x20);
    expect(found?.remote).toEqual([hostRange(HOA, 135)]);
    expect(spd.narrowOffer([hostRange(HA, 6)], [wild])).toBeUndefined();
    const pair = spd.findPair(hostRange(HA, 135), hostRange(HOA, 135));
    expect([pair.out?.templates[0]?.reqid, pair.in?.templates[0]?.reqid]).toEqual([0x20, 0x21]);
    expect(spd.findPair(hostRange('2001:db8::5', 135), hostRange(HOA, 135))).toEqual({});
  });
});

/**
 * The image as it was before it was indexed: every lookup walks every policy. The indexed image
 * must answer exactly as this does, whatever the SPD holds.
 */
class LinearSpd {
  readonly policies = new Map<string, SecurityPolicy>();
  readonly hints = new Map<string, ResolvedAddresses>();

  apply(e: KernelPolicyChanged): void {
    if (e.op === 'flush') {
      this.policies.clear();
      this.hints.clear();
    } else if (e.policy && e.op === 'delete') {
      this.policies.delete(policyKey(e.policy));
      this.hints.delete(policyKey(e.policy));
    } else if (e.policy) this.policies.set(policyKey(e.policy), e.policy);
  }

  migrate(e: KernelMigrate): void {
    const exact = policyKey(e);
    let keys = [exact];
    const s = e.selector;
    if (!this.policies.has(exact) && s.srcPort === 0 && s.dstPort === 0 && s.mhType === undefined) {
      const loose = [...this.policies]
        .filter(([, p]) => migrateLooseKey(p) === migrateLooseKey(e))
        .map(([k]) => k);
      if (loose.length > 0) keys = loose;
    }
    for (const key of keys) {
      const p = this.policies.get(key);
      if (p) {
        const templates = p.templates.map((t) => {
          let out = t;
          for (const b of e.bundles) {
            const match =
              t.mode === b.mode &&
              t.proto === b.proto &&
              (b.reqid === 0 || t.reqid === b.reqid) &&
              t.src === b.oldSrc &&
              t.dst === b.oldDst;
            if (match) out = { ...out, src: b.newSrc, dst: b.newDst };
          }
          return out;
        });
        this.policies.set(key, { ...p, templates });
      }
      const old = this.hints.get(key);
      const tunnel = e.bundles.find((b) => b.mode === 'tunnel');
      if (e.kmaddress) this.hints.set(key, { ...old, ...e.kmaddress });
      else if (tunnel) {
        const out = e.dir === 'out';
        this.hints.set(key, {
          ...old,
          local: out ? tunnel.newSrc : tunnel.newDst,
          remote: out ? tunnel.newDst : tunnel.newSrc,
        });
      }
    }
  }

  moveHints(from: { local?: string; remote: string }, to: { local: string; remote: string }): void {
    for (const [k, h] of this.hints) {
      if (h.remote === from.remote && (from.local === undefined || h.local === from.local))
        this.hints.set(k, { ...h, ...to });
    }
  }

  byReqid(reqid: number): SecurityPolicy[] {
    return [...this.policies.values()].filter(
      (p) => p.action === 'protect' && p.templates.some((t) => t.reqid === reqid),
    );
  }

  findPair(local: TsRange, remote: TsRange): { out?: SecurityPolicy; in?: SecurityPolicy } {
    const covering = (dir: string, src: TsRange, dst: TsRange) =>
      [...this.policies.values()]
        .filter((p) => p.dir === dir && p.action === 'protect' && p.templates.some((t) => t.proto === 'esp'))
        .filter(
          (p) =>
            isSubset(src, rangeFromSelector(p.selector, 'src')) &&
            isSubset(dst, rangeFromSelector(p.selector, 'dst')),
        )
        .sort((a, b) => a.priority - b.priority)[0];
    const out = covering('out', local, remote);
    const inbound = covering('in', remote, local);
    return { ...(out ? { out } : {}), ...(inbound ? { in: inbound } : {}) };
  }

  narrowOffer(offeredLocal: TsRange[], offeredRemote: TsRange[], mode?: 'tunnel' | 'transport') {
    const inbound = [...this.policies.values()]
      .filter(
        (p) =>
          p.dir === 'in' &&
          p.action === 'protect' &&
          p.templates.some((t) => t.proto === 'esp' && (mode === undefined || t.mode === mode)),
      )
      .sort((a, b) => a.priority - b.priority);
    const covers = (p: SecurityPolicy) =>
      offeredRemote.every((r) => isSubset(r, rangeFromSelector(p.selector, 'src'))) &&
      offeredLocal.every((l) => isSubset(l, rangeFromSelector(p.selector, 'dst')));
    for (const p of [...inbound.filter(covers), ...inbound.filter((p) => !covers(p))]) {
      const remote = narrow(offeredRemote, [rangeFromSelector(p.selector, 'src')]);
      const local = narrow(offeredLocal, [rangeFromSelector(p.selector, 'dst')]);
      if (remote.length === 0 || local.length === 0) continue;
      const out = this.findPair(local[0]!, remote[0]!).out;
      return { in: p, ...(out ? { out } : {}), local, remote };
    }
    return undefined;
  }
}

describe('SpdImage indexes', () => {
  const hosts = [HOA, HA, COA, '2001:db8:1::200', '2001:db8:d::5'];
  const host = fc.constantFrom(...hosts);
  const prefix = fc.oneof(
    host,
    fc.constantFrom(parsePrefix('::/0'), parsePrefix('2001:db8:1::/64'), parsePrefix('2001:db8::/32')),
  );
  const sel = fc
    .record({
      src: prefix,
      dst: prefix,
      kind: fc.constantFrom('any', 'mh5', 'mh6', 'mh', 'icmp'),
    })
    .map(({ src, dst, kind }) =>
      kind === 'any'
        ? selector(src, dst)
        : kind === 'icmp'
          ? selector(src, dst, { proto: 58, srcPort: 146 })
          : selector(src, dst, {
              proto: IPPROTO_MH,
              ...(kind === 'mh' ? {} : { mhType: kind === 'mh5' ? 5 : 6 }),
            }),
    );
  const template = fc.oneof(
    fc.record({
      proto: fc.constantFrom('esp' as const, 'ah' as const),
      mode: fc.constant('tunnel' as const),
      level: fc.constant('unique' as const),
      reqid: fc.constantFrom(1, 2, 3),
      src: host,
      dst: host,
    }),
    fc.record({
      proto: fc.constant('esp' as const),
      mode: fc.constant('transport' as const),
      level: fc.constant('unique' as const),
      reqid: fc.constantFrom(1, 2, 3),
    }),
  );
  const policyArb: fc.Arbitrary<SecurityPolicy> = fc.record({
    index: fc.nat(100),
    selector: sel,
    dir: fc.constantFrom('in' as const, 'out' as const, 'fwd' as const),
    action: fc.constantFrom('protect' as const, 'protect' as const, 'bypass' as const),
    priority: fc.constantFrom(10, 20, 30),
    templates: fc.array(template, { minLength: 1, maxLength: 2 }),
  });
  const bundle = fc.record({
    proto: fc.constant('esp' as const),
    mode: fc.constantFrom('tunnel' as const, 'transport' as const),
    level: fc.constant('unique' as const),
    reqid: fc.constantFrom(0, 1, 2, 3),
    oldSrc: host,
    oldDst: host,
    newSrc: host,
    newDst: host,
  });
  type Op =
    | { op: 'add' | 'update' | 'delete'; policy: SecurityPolicy }
    | { op: 'flush' }
    | { op: 'migrate'; e: KernelMigrate }
    | { op: 'hint'; pick: number; local: string; remote: string }
    | { op: 'migratePick'; pick: number; to: string; km: boolean; loose: boolean }
    | { op: 'move'; from: string; local: string | undefined; to: string };
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({ op: fc.constantFrom('add' as const, 'update' as const), policy: policyArb }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), policy: policyArb }) },
    { weight: 1, arbitrary: fc.constant({ op: 'flush' as const }) },
    {
      weight: 3,
      arbitrary: fc
        .record({
          selector: sel,
          dir: fc.constantFrom('in' as const, 'out' as const),
          bundles: fc.array(bundle, { minLength: 1, maxLength: 2 }),
          km: fc.option(fc.record({ local: host, remote: host }), { nil: undefined }),
          loose: fc.boolean(),
        })
        .map(({ selector: s, dir, bundles, km, loose }) => ({
          op: 'migrate' as const,
          e: {
            type: 'kernel.migrate' as const,
            // A PF_KEY broadcast drops the ports and MH type; some backends keep them.
            selector: loose ? { src: s.src, dst: s.dst, proto: s.proto, srcPort: 0, dstPort: 0 } : s,
            dir,
            bundles,
            ...(km ? { kmaddress: km } : {}),
          },
        })),
    },
    {
      weight: 4,
      arbitrary: fc.record({ op: fc.constant('hint' as const), pick: fc.nat(), local: host, remote: host }),
    },
    {
      weight: 4,
      arbitrary: fc.record({
        op: fc.constant('migratePick' as const),
        pick: fc.nat(),
        to: host,
        km: fc.boolean(),
        loose: fc.boolean(),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant('move' as const),
        from: host,
        local: fc.option(host, { nil: undefined }),
        to: host,
      }),
    },
  );
  const range = fc.oneof(
    host.map((h) => hostRange(h)),
    fc.constant(parseTs('%any6') as TsRange),
    fc.constant(parseTs('2001:db8:1::/64') as TsRange),
  );
  const keys = (ps: readonly SecurityPolicy[] | undefined) => ps?.map(policyKey);
  const keyOf = (p: SecurityPolicy | undefined) => (p ? policyKey(p) : undefined);

  it('answer every lookup as a walk over all policies does', () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 40 }),
        fc.array(
          fc.tuple(range, range, fc.constantFrom(undefined, 'tunnel' as const, 'transport' as const)),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        (ops, queries) => {
          const spd = new SpdImage();
          const ref = new LinearSpd();
          for (const o of ops) {
            if (o.op === 'flush') {
              spd.apply({ type: 'kernel.policy', op: 'flush' });
              ref.apply({ type: 'kernel.policy', op: 'flush' });
            } else if (o.op === 'migrate') {
              spd.migrate(o.e);
              ref.migrate(o.e);
            } else if (o.op === 'hint') {
              const all = [...ref.policies.values()];
              const p = all[o.pick % Math.max(1, all.length)];
              if (!p) continue;
              spd.setHint(p, { local: o.local, remote: o.remote });
              ref.hints.set(policyKey(p), { local: o.local, remote: o.remote });
            } else if (o.op === 'migratePick') {
              // A MIGRATE of an existing policy's template, as a strategy writes it.
              const all = [...ref.policies.values()];
              const p = all[o.pick % Math.max(1, all.length)];
              const t = p?.templates[o.pick % p.templates.length];
              if (!p || !t) continue;
              const s = p.selector;
              const e: KernelMigrate = {
                type: 'kernel.migrate',
                selector: o.loose ? { src: s.src, dst: s.dst, proto: s.proto, srcPort: 0, dstPort: 0 } : s,
                dir: p.dir,
                bundles: [
                  {
                    proto: t.proto,
                    mode: t.mode,
                    level: 'unique',
                    reqid: t.reqid,
                    oldSrc: t.src ?? HOA,
                    oldDst: t.dst ?? HA,
                    newSrc: o.to,
                    newDst: t.dst ?? HA,
                  },
                ],
                ...(o.km ? { kmaddress: { local: o.to, remote: HA } } : {}),
              };
              spd.migrate(e);
              ref.migrate(e);
            } else if (o.op === 'move') {
              const from = { remote: o.from, ...(o.local ? { local: o.local } : {}) };
              spd.moveHints(from, { local: o.to, remote: o.to });
              ref.moveHints(from, { local: o.to, remote: o.to });
            } else {
              spd.apply({ type: 'kernel.policy', op: o.op, policy: o.policy });
              ref.apply({ type: 'kernel.policy', op: o.op, policy: o.policy });
            }
          }
          expect(keys(spd.all())).toEqual(keys([...ref.policies.values()]));
          expect(spd.all()).toEqual([...ref.policies.values()]);
          for (const p of ref.policies.values()) {
            expect(spd.hintFor(p)).toEqual(ref.hints.get(policyKey(p)) ?? spd.hintFor(p));
            expect(spd.get(p)).toEqual(p);
          }
          for (const reqid of [1, 2, 3]) expect(keys(spd.byReqid(reqid))).toEqual(keys(ref.byReqid(reqid)));
          for (const [a, b, mode] of queries) {
            const pair = spd.findPair(a, b);
            const want = ref.findPair(a, b);
            expect([keyOf(pair.out), keyOf(pair.in)]).toEqual([keyOf(want.out), keyOf(want.in)]);
            const got = spd.narrowOffer([a], [b], mode);
            const exp = ref.narrowOffer([a], [b], mode);
            expect(got && { ...got, in: keyOf(got.in), out: keyOf(got.out) }).toEqual(
              exp && { ...exp, in: keyOf(exp.in), out: keyOf(exp.out) },
            );
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
