import {
  type IkeSaInfo,
  type Ip,
  type IpsecRequest,
  type SecurityAssociation,
  type SecurityPolicy,
  selector,
} from '@mip6sec/core';
import { describe, expect, it } from 'vitest';
import {
  checkHa,
  checkIkeInPlace,
  checkInPlace,
  checkMn,
  type HaState,
  type HostState,
  type MnPlacement,
  spiSnapshot,
} from './invariants.js';

const HA = '2001:db8:1::1';
const mn = (i: number, coa: Ip): MnPlacement => ({
  name: `mn${i}`,
  hoa: `2001:db8:1::${1000 + i}`,
  identity: `mn${i}@example`,
  coa,
});
const coa = (link: number, i: number) => `2001:db8:${100 + link}::${1000 + i}`;

const tunnel = (reqid: number, src: Ip, dst: Ip): IpsecRequest => ({
  proto: 'esp',
  mode: 'tunnel',
  level: 'require',
  reqid,
  src,
  dst,
});
const transport: IpsecRequest = { proto: 'esp', mode: 'transport', level: 'require', reqid: 1 };
let index = 0;
const policy = (dir: 'in' | 'out' | 'fwd', src: string, dst: string, t: IpsecRequest): SecurityPolicy => ({
  selector: selector(src, dst),
  dir,
  index: ++index,
  action: 'protect',
  priority: 100,
  templates: [t],
});
const sa = (
  src: Ip,
  dst: Ip,
  spi: number,
  mode: 'tunnel' | 'transport' = 'tunnel',
  reqid = 4,
): SecurityAssociation => ({
  src,
  dst,
  spi,
  proto: 'esp',
  mode,
  reqid,
  enc: { alg: 'aes-gcm-16', key: new Uint8Array(20) },
  replayWindow: 32,
  state: 'mature',
  current: { bytes: 0, packets: 0, addTime: 0, seq: 0 },
});
const ike = (spi: string, local: Ip, remote: Ip, remoteId: string, state = 'established'): IkeSaInfo => ({
  ikeSpi: spi,
  local: { ip: local, port: 500 },
  remote: { ip: remote, port: 500 },
  localId: 'x',
  remoteId,
  state,
  childReqids: [],
});

/** The HA's entries for one MN at a CoA: payload out/in/fwd tunnel, BA out transport. */
function haEntries(m: MnPlacement, at: Ip): SecurityPolicy[] {
  return [
    policy('out', '::/0', m.hoa, tunnel(4, HA, at)),
    policy('in', m.hoa, '::/0', tunnel(4, at, HA)),
    policy('fwd', m.hoa, '::/0', tunnel(4, at, HA)),
    policy('out', HA, m.hoa, transport),
  ];
}

function haState(p: Partial<HaState> & Pick<HaState, 'policies'>): HaState {
  return {
    name: 'ha',
    address: HA,
    sas: [],
    ikeSas: [],
    cacheCoa: () => undefined,
    ...p,
  };
}

describe('checkHa', () => {
  it('attributes entries by the HoA host selector: consistent MNs report nothing', () => {
    const mns = [1, 2, 3].map((i) => mn(i, coa(1, i)));
    const policies = mns.flatMap((m) => haEntries(m, m.coa));
    const v = checkHa(
      'step',
      haState({
        policies,
        sas: mns.flatMap((m, i) => [
          sa(HA, m.coa, 0x100 + i),
          sa(m.coa, HA, 0x200 + i),
          sa(HA, m.hoa, 0x300 + i, 'transport', 1),
        ]),
        ikeSas: mns.map((m) => ike(`spi${m.name}`, HA, m.coa, m.identity)),
        cacheCoa: (hoa) => mns.find((m) => m.hoa === hoa)?.coa,
      }),
      mns,
    );
    expect(v).toEqual([]);
  });

  it("reports one MN's stale entries and SAs against that MN only (no prefix mix-up)", () => {
    const mns = [1, 2].map((i) => mn(i, coa(2, i)));
    // mn1 moved to link 2 but the HA still tunnels to its link-1 CoA; mn2 is consistent.
    const policies = [...haEntries(mns[0]!, coa(1, 1)), ...haEntries(mns[1]!, mns[1]!.coa)];
    const book = new Map<Ip, MnPlacement>();
    for (const m of mns) for (const l of [1, 2]) book.set(coa(l, Number(m.name.slice(2))), m);
    const v = checkHa(
      'handover 3',
      haState({
        policies,
        sas: [sa(HA, coa(1, 1), 0x111), sa(HA, mns[1]!.coa, 0x222)],
        cacheCoa: (hoa) => mns.find((m) => m.hoa === hoa)?.coa,
      }),
      mns,
      (addr) => book.get(addr),
    );
    expect(v.length).toBe(4);
    for (const x of v) {
      expect(x.step).toBe('handover 3');
      expect(x.host).toBe('ha');
      expect(x.object).toContain('(for mn1)');
    }
    expect(v.map((x) => x.rule).sort()).toEqual([
      'SA endpoint = CoA',
      'tunnel endpoint = CoA',
      'tunnel endpoint = CoA',
      'tunnel endpoint = CoA',
    ]);
  });

  it('at home: a binding or tunnel entry left over is reported', () => {
    const m = mn(1, '2001:db8:1::1001');
    const v = checkHa(
      'handover 2',
      haState({ policies: haEntries(m, coa(1, 1)), cacheCoa: () => coa(1, 1) }),
      [m],
    );
    expect(v.map((x) => x.rule)).toEqual([
      'no binding at home',
      'no tunnel entries at home',
      'no tunnel entries at home',
      'no tunnel entries at home',
    ]);
  });

  it('checks IKE_SAs by the peer identity, and half-open ones by the address they talk to', () => {
    const m = mn(1, coa(2, 1));
    const v = checkHa(
      's',
      haState({
        policies: haEntries(m, m.coa),
        cacheCoa: () => m.coa,
        ikeSas: [ike('a', HA, coa(1, 1), m.identity), ike('b', HA, coa(1, 1), '', 'connecting')],
      }),
      [m],
      (addr) => (addr === coa(1, 1) || addr === m.coa ? m : undefined),
    );
    expect(v.map((x) => `${x.object} ${x.rule}`)).toEqual([
      'IKE_SA a (for mn1) IKE_SA address = CoA',
      'IKE_SA b (for mn1) IKE_SA address = CoA',
    ]);
  });

  it("compares IKE's SPD image with the kernel's SPD", () => {
    const m = mn(1, coa(1, 1));
    const policies = haEntries(m, m.coa);
    const image = [...policies.slice(1), policy('out', '::/0', m.hoa, tunnel(4, HA, coa(2, 1)))];
    const v = checkHa('s', haState({ policies, spdImage: image, cacheCoa: () => m.coa }), [m]);
    expect(v).toHaveLength(1);
    expect(v[0]!.rule).toBe('IKE SPD image = kernel SPD');
    expect(v[0]!.detail).toContain(coa(2, 1));
  });
});

describe('checkMn', () => {
  const m = mn(1, coa(2, 1));
  const host = (p: Partial<HostState>): HostState => ({
    name: 'mn1',
    policies: [],
    sas: [],
    ikeSas: [],
    ...p,
  });

  it('accepts a consistent MN and flags endpoints, IKE_SA and hints off the CoA', () => {
    const good = host({
      policies: [policy('out', m.hoa, '::/0', tunnel(4, m.coa, HA))],
      sas: [sa(m.coa, HA, 1), sa(HA, m.coa, 2), sa(m.hoa, HA, 3, 'transport', 1)],
      ikeSas: [ike('i', m.coa, HA, 'ha')],
      hintFor: () => ({ local: m.coa, remote: HA }),
    });
    expect(checkMn('s', m, good, HA)).toEqual([]);
    const bad = host({
      policies: [policy('out', m.hoa, '::/0', tunnel(4, coa(1, 1), HA))],
      sas: [sa(coa(1, 1), HA, 1), sa(coa(1, 1), HA, 3, 'transport', 1)],
      ikeSas: [ike('i', coa(1, 1), HA, 'ha')],
      hintFor: () => ({ local: coa(1, 1), remote: HA }),
    });
    expect(checkMn('s', m, bad, HA).map((x) => x.rule)).toEqual([
      'tunnel endpoint = CoA',
      'SA endpoint = CoA',
      'transport SA on HoA/HA',
      'IKE_SA address = CoA',
      'IKE address hint = CoA',
    ]);
  });

  it('does not look at hints when none are given (no interface keeps them)', () => {
    const h = host({ policies: [policy('out', m.hoa, HA, transport)] });
    expect(checkMn('s', m, h, HA)).toEqual([]);
  });
});

describe('in-place checks', () => {
  it('an SA that disappeared is a violation unless its reqid was rekeyed', () => {
    const before = spiSnapshot([sa('a', 'b', 1, 'tunnel', 4), sa('b', 'a', 2, 'transport', 1)], () => true);
    const after = spiSnapshot([sa('a', 'b', 9, 'tunnel', 4), sa('b', 'a', 2, 'transport', 1)], () => true);
    expect(checkInPlace('s', 'mn1', 'mn1', before, after, new Set([4]))).toEqual([]);
    const v = checkInPlace('s', 'ha', 'mn1', before, after, new Set());
    expect(v).toHaveLength(1);
    expect(v[0]!.object).toBe('SAs 0x1 (for mn1)');
  });

  it('an IKE_SA replaced other than by a rekey is a violation', () => {
    expect(checkIkeInPlace('s', 'mn1', new Set(['x']), new Set(['x']), new Set())).toEqual([]);
    expect(checkIkeInPlace('s', 'mn1', new Set(['x']), new Set(['y']), new Set(['x']))).toEqual([]);
    expect(checkIkeInPlace('s', 'mn1', new Set(['x']), new Set(['y']), new Set())).toHaveLength(1);
  });
});
