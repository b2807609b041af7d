/**
 * getExtension's typing: every `type` value gives its record, including the values several records share
 * (addresses, keys, lifetimes, NAT-T ports), checked by tsc (expectTypeOf) and at run time.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as K from './constants.js';
import { decode } from './decode.js';
import { encode } from './encode.js';
import {
  type AddressExt,
  type ExtensionOf,
  getExtension,
  type KeyExt,
  type LifetimeExt,
  type NatTPortExt,
  type RefExt,
  type SaReplayExt,
} from './model.js';
import { sample } from './samples.test-util.js';

describe('getExtension', () => {
  it('gives the record of every type value, also for records that serve several types', () => {
    const m = decode(encode(sample('ADD of an ESP SA with keys, lifetimes, SA2 and NAT-T').msg));
    const src = getExtension(m, K.SADB_EXT_ADDRESS_SRC);
    const oa = getExtension(m, K.SADB_X_EXT_NAT_T_OA);
    const hard = getExtension(m, K.SADB_EXT_LIFETIME_HARD);
    const keyA = getExtension(m, K.SADB_EXT_KEY_AUTH);
    const dport = getExtension(m, K.SADB_X_EXT_NAT_T_DPORT);
    expectTypeOf(src).toEqualTypeOf<AddressExt | undefined>();
    expectTypeOf(oa).toEqualTypeOf<AddressExt | undefined>();
    expectTypeOf(hard).toEqualTypeOf<LifetimeExt | undefined>();
    expectTypeOf(keyA).toEqualTypeOf<KeyExt | undefined>();
    expectTypeOf(dport).toEqualTypeOf<NatTPortExt | undefined>();
    expectTypeOf(getExtension(m, K.SADB_X_EXT_REF)).toEqualTypeOf<RefExt | undefined>();
    expectTypeOf(getExtension(m, K.SADB_X_EXT_SA_REPLAY)).toEqualTypeOf<SaReplayExt | undefined>();
    expectTypeOf<ExtensionOf<typeof K.SADB_EXT_ADDRESS_DST | typeof K.SADB_EXT_KEY_ENCRYPT>>().toEqualTypeOf<
      AddressExt | KeyExt
    >();
    // The fields of the shared records are reachable without a cast.
    expect(src?.prefixlen).toBe(32);
    expect(oa?.address.family).toBe(K.AF_INET);
    expect(hard?.addtime).toBe(3600n);
    expect(keyA?.bits).toBe(160);
    expect(dport?.port).toBe(4501);
    expect(getExtension(m, K.SADB_X_EXT_REF)).toBeUndefined();
  });
});
