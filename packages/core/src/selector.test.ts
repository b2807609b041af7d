import { describe, expect, it } from 'vitest';
import { parsePrefix } from './address.js';
import {
  IPPROTO_MH,
  IPPROTO_UDP,
  selector,
  selectorEquals,
  selectorKey,
  selectorMatches,
} from './selector.js';

describe('selectors', () => {
  const bu = selector('2001:db8::100', '2001:db8::1', { proto: IPPROTO_MH, mhType: 5 });
  it('matches on prefixes, protocol, ports and MH type', () => {
    expect(
      selectorMatches(bu, { src: '2001:db8::100', dst: '2001:db8::1', proto: IPPROTO_MH, mhType: 5 }),
    ).toBe(true);
    expect(
      selectorMatches(bu, { src: '2001:db8::100', dst: '2001:db8::1', proto: IPPROTO_MH, mhType: 6 }),
    ).toBe(false);
    expect(selectorMatches(bu, { src: '2001:db8::100', dst: '2001:db8::1', proto: IPPROTO_UDP })).toBe(false);
    const any = selector(parsePrefix('2001:db8::/32'), parsePrefix('::/0'), { dstPort: 53 });
    expect(
      selectorMatches(any, { src: '2001:db8:5::1', dst: '2001:db8::1', proto: IPPROTO_UDP, dstPort: 53 }),
    ).toBe(true);
    expect(
      selectorMatches(any, { src: '2001:db8:5::1', dst: '2001:db8::1', proto: IPPROTO_UDP, dstPort: 54 }),
    ).toBe(false);
    expect(
      selectorMatches(any, { src: '2001:db9::1', dst: '2001:db8::1', proto: IPPROTO_UDP, dstPort: 53 }),
    ).toBe(false);
  });
  it('has a stable key and equality', () => {
    expect(selectorEquals(bu, selector('2001:db8:0::100', '2001:db8::1', { proto: 135, mhType: 5 }))).toBe(
      true,
    );
    expect(selectorKey(bu)).toContain('mh 5');
    expect(selectorEquals(bu, selector('2001:db8::100', '2001:db8::1', { proto: 135 }))).toBe(false);
    expect(selector('2001:DB8::/32', '::/0').src).toEqual({ addr: '2001:db8::', len: 32 });
    expect(selector('2001:db8::1', '::/0').dst).toEqual({ addr: '::', len: 0 });
  });
});
