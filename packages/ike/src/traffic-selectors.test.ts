import { IPPROTO_MH, PROTO_ANY, selector } from '@mip6sec/core';
import { describe, expect, it } from 'vitest';
import {
  anyRange,
  formatTs,
  hostRange,
  intersect,
  isSubset,
  narrow,
  parseTs,
  rangeFromSelector,
  rangeToPrefix,
  resolveSpec,
  selectorFromRanges,
  type TsRange,
  toPayloadSelector,
} from './traffic-selectors.js';

const r = (text: string) => parseTs(text) as TsRange;

describe('traffic selectors', () => {
  it('parses strongSwan selector text', () => {
    expect(toPayloadSelector(r('10.1.0.0/16'))).toEqual({
      tsType: 7,
      ipProto: 0,
      startPort: 0,
      endPort: 65535,
      start: '10.1.0.0',
      end: '10.1.255.255',
    });
    expect(toPayloadSelector(r('2001:db8::1[mh]'))).toMatchObject({
      tsType: 8,
      ipProto: 135,
      start: '2001:db8::1',
      end: '2001:db8::1',
    });
    expect(toPayloadSelector(r('10.0.0.1/32[tcp/80]'))).toMatchObject({
      ipProto: 6,
      startPort: 80,
      endPort: 80,
    });
    expect(toPayloadSelector(r('10.0.0.1[udp/1000-2000]'))).toMatchObject({
      ipProto: 17,
      startPort: 1000,
      endPort: 2000,
    });
    expect(toPayloadSelector(r('%any6'))).toMatchObject({
      tsType: 8,
      start: '::',
      end: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    });
    expect(parseTs('dynamic[135/0]')).toEqual({ dynamic: true, proto: 135, startPort: 0, endPort: 65535 });
    for (const bad of [
      '10.0.0.0/33',
      'x[tcp]',
      '10.0.0.1[tcp/70000]',
      '10.0.0.1[nope]',
      '10.0.0.1[udp/9-3]',
      '',
    ]) {
      expect(() => parseTs(bad), bad).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    }
  });

  it('formats ranges back as prefixes or start-end ranges', () => {
    expect(formatTs(r('2001:db8::/32[135]'))).toBe('2001:db8::/32[135]');
    expect(formatTs(r('10.0.0.1[tcp/80]'))).toBe('10.0.0.1/32[6/80]');
    expect(formatTs({ ...r('10.0.0.0/24'), end: BigInt(0x0a000005) })).toBe('10.0.0.0-10.0.0.5');
  });

  it('intersects ranges, with protocol 0 as a wildcard and different families never overlapping', () => {
    const mh = r('2001:db8::/64[mh]');
    expect(intersect(r('2001:db8::1'), mh)).toEqual(r('2001:db8::1[mh]'));
    expect(intersect(r('2001:db8:1::1'), mh)).toBeUndefined();
    expect(intersect(r('10.0.0.0/8'), r('2001:db8::/32'))).toBeUndefined();
    expect(intersect(r('10.0.0.0/8[tcp]'), r('10.0.0.0/8[udp]'))).toBeUndefined();
    expect(intersect(r('10.0.0.0/8[tcp/80]'), r('10.0.0.0/8[tcp/81-90]'))).toBeUndefined();
    expect(isSubset(r('10.1.0.0/16'), r('10.0.0.0/8'))).toBe(true);
    expect(isSubset(r('10.0.0.0/8'), r('10.1.0.0/16'))).toBe(false);
    expect(isSubset(r('10.1.0.0/16'), r('10.0.0.0/8[tcp]'))).toBe(false);
    expect(narrow([anyRange(6, 135)], [hostRange('2001:db8::100')])).toEqual([
      hostRange('2001:db8::100', 135),
    ]);
  });

  it('converts between SPD selectors and ranges', () => {
    const s = selector('2001:db8::100', { addr: '::', len: 0 }, { proto: IPPROTO_MH });
    expect(rangeFromSelector(s, 'src')).toEqual(hostRange('2001:db8::100', 135));
    expect(rangeFromSelector(s, 'dst')).toEqual(anyRange(6, 135));
    expect(selectorFromRanges(r('10.0.0.0/8'), r('10.1.2.3[tcp/443]'))).toEqual({
      src: { addr: '10.0.0.0', len: 8 },
      dst: { addr: '10.1.2.3', len: 32 },
      proto: 6,
      srcPort: 0,
      dstPort: 443,
    });
    expect(selectorFromRanges(r('10.0.0.0/8'), r('10.0.0.0/8')).proto).toBe(PROTO_ANY);
    expect(rangeToPrefix({ ...r('10.0.0.0/24'), end: BigInt(0x0a000005) })).toEqual({
      addr: '10.0.0.0',
      len: 30,
    });
    expect(resolveSpec(parseTs('dynamic[tcp/22]'), '192.0.2.7')).toEqual(hostRange('192.0.2.7', 6, 22, 22));
  });
});
