import { IPPROTO_MH, parsePrefix, selector } from '@mip6sec/core';
import { describe, expect, it } from 'vitest';
import { COA1, HA, HOA } from './harness.test-util.js';
import { KmaddressImage, looseKey } from './kmaddress-image.js';

const bu = { selector: selector(HOA, HA, { proto: IPPROTO_MH, mhType: 5 }), dir: 'out' as const };
const km = { local: COA1, remote: HA };
const bundle = { proto: 'esp', mode: 'transport', level: 'require', reqid: 1 } as const;

describe('KmaddressImage', () => {
  it('matches a broadcast that lost the MH type and ports to the policy it came from', () => {
    const image = new KmaddressImage();
    // PF_KEY echoes the selector without ports, so the MH type is gone and "any" reads 0.
    image.learn({
      selector: selector(HOA, HA, { proto: IPPROTO_MH }),
      dir: 'out',
      bundles: [{ ...bundle, oldSrc: HOA, oldDst: HA, newSrc: HOA, newDst: HA }],
      kmaddress: km,
    });
    expect(image.forPolicy(bu)).toEqual(km);
    expect(image.forReqid(1)).toEqual(km);
    expect(looseKey({ selector: { ...selector(HOA, parsePrefix('::/0')), proto: 0 }, dir: 'out' })).toBe(
      looseKey({ selector: selector(HOA, parsePrefix('::/0')), dir: 'out' }),
    );
  });

  it('ignores broadcasts without kmaddress, and forgets on add, delete and flush but not update', () => {
    const image = new KmaddressImage();
    image.learn({ ...bu, bundles: [], kmaddress: undefined });
    expect(image.size).toBe(0);
    image.learn({
      ...bu,
      bundles: [{ ...bundle, oldSrc: HOA, oldDst: HA, newSrc: HOA, newDst: HA }],
      kmaddress: km,
    });
    const policy = { ...bu, action: 'protect' as const, priority: 1, templates: [], index: 1 };
    image.policyChanged({ type: 'kernel.policy', op: 'update', policy });
    expect(image.forPolicy(bu)).toEqual(km);
    image.policyChanged({ type: 'kernel.policy', op: 'delete', policy });
    expect(image.forPolicy(bu)).toBeUndefined();
    expect(image.forReqid(1)).toBeUndefined();
    image.learn({ ...bu, bundles: [], kmaddress: km });
    image.policyChanged({ type: 'kernel.policy', op: 'flush' });
    expect(image.size).toBe(0);
  });
});
