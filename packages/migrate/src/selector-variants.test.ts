import { IPPROTO_ICMPV6, IPPROTO_MH, selector } from '@mip6sec/core';
import { migrateFlowKey } from '@mip6sec/kernel-sim';
import { describe, expect, it } from 'vitest';
import { HA, HOA } from './harness.test-util.js';
import { flowLookupSelector } from './selector-variants.js';

describe('flowLookupSelector', () => {
  it('puts the MH or ICMPv6 type where a 6.12+ flow lookup reads it', () => {
    const bu = selector(HOA, HA, { proto: IPPROTO_MH, mhType: 5 });
    expect(migrateFlowKey({ selector: flowLookupSelector(bu)! })).toMatchObject({ mhType: 5 });
    const mps = selector(HOA, HA, { proto: IPPROTO_ICMPV6, srcPort: 146 });
    expect(migrateFlowKey({ selector: flowLookupSelector(mps)! })).toMatchObject({
      srcPort: 146,
      dstPort: 0,
    });
  });

  it('has nothing to offer for selectors without a type', () => {
    expect(flowLookupSelector(selector(HOA, '::'))).toBeUndefined();
    expect(flowLookupSelector(selector(HOA, HA, { proto: IPPROTO_MH }))).toBeUndefined();
    expect(flowLookupSelector(selector(HOA, HA, { proto: 17, dstPort: 53 }))).toBeUndefined();
  });
});
