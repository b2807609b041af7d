import { describe, expect, it } from 'vitest';
import { ChildSaIndex } from './child-index.js';
import type { ChildSa } from './child-sa.js';
import type { IkeSa } from './ike-sa.js';
import { anyRange, hostRange, type TsRange } from './traffic-selectors.js';

const HA = '2001:db8:1::1';
const hoa = (n: number) => `2001:db8:1::${(0x100 + n).toString(16)}`;

const child = (localTs: TsRange[], remoteTs: TsRange[]) => ({ localTs, remoteTs }) as unknown as ChildSa;
const ikeSa = (children: ChildSa[] = []) => ({ children }) as unknown as IkeSa;

describe('ChildSaIndex', () => {
  it('finds the IKE SAs of one mobile node among many by its home address', () => {
    const index = new ChildSaIndex();
    const sas = Array.from({ length: 50 }, (_, i) => {
      const sa = ikeSa();
      // The HA's view: payload tunnel ::/0 <-> HoA, and the BU transport HA <-> HoA.
      index.add(sa, child([anyRange(6)], [hostRange(hoa(i))]));
      index.add(sa, child([hostRange(HA)], [hostRange(hoa(i))]));
      return sa;
    });
    expect(index.candidates(anyRange(6), hostRange(hoa(7)))).toEqual([sas[7]]);
    expect(index.candidates(hostRange(HA), hostRange(hoa(9)))).toEqual([sas[9]]);
    // Nothing narrows a wildcard on both sides: the caller walks every IKE SA.
    expect(index.candidates(anyRange(6), anyRange(6))).toBeUndefined();
    index.remove(sas[7]!);
    expect(index.candidates(anyRange(6), hostRange(hoa(7)))).toEqual([]);
    expect(index.size).toBe(49);
  });

  it('keeps IKE SAs whose CHILD_SA covers a range, not one host, among every candidate list', () => {
    const index = new ChildSaIndex();
    const wide = ikeSa([child([anyRange(6)], [anyRange(6)])]);
    const one = ikeSa();
    index.addAll(wide);
    index.add(one, child([hostRange(HA)], [hostRange(hoa(1))]));
    expect(new Set(index.candidates(hostRange(HA), hostRange(hoa(1))))).toEqual(new Set([one, wide]));
    expect(index.candidates(hostRange(HA), hostRange(hoa(2)))).toEqual([wide]);
  });
});
