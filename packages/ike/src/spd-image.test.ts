import { IPPROTO_MH, type SecurityPolicy, selector } from '@mip6sec/core';
import { describe, expect, it } from 'vitest';
import { SpdImage } from './spd-image.js';
import { hostRange, parseTs, type TsRange } from './traffic-selectors.js';

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
