import { Bus, IPPROTO_MH, selector } from '@mip6sec/core';
import { describe, expect, it } from 'vitest';
import { RecordingKeyManager } from './recording-key-manager.js';
import { settle } from './strategy-fixture.js';

const HOA = '2001:db8:0:1::100';
const HA = '2001:db8:0:1::1';
const COA1 = '2001:db8:a::100';
const COA2 = '2001:db8:b::100';

describe('RecordingKeyManager', () => {
  it('records calls in order with marks, and really moves IKE_SAs on updateAddresses', async () => {
    const km = new RecordingKeyManager();
    km.addIkeSa({ local: COA1, remote: HA, childReqids: [1] });
    km.addIkeSa({ local: HA, remote: '2001:db8:77::1', childReqids: [1] });
    km.mark('before');
    expect(await km.updateAddresses({ local: COA1, remote: HA }, { local: COA2, remote: HA }, 'msrd')).toBe(
      1,
    );
    expect(await km.updateAddresses({ remote: '2001:db8:99::1' }, { local: COA2, remote: HA }, 'msrd')).toBe(
      0,
    );
    expect(km.ikeSas().map((s) => s.local.ip)).toEqual([COA2, HA]);
    expect(km.calls.map((c) => c.kind)).toEqual(['mark', 'updateAddresses', 'updateAddresses']);
  });

  it('re-establishes over a few event-loop turns: the IKE_SAs with the peer come back from the new address', async () => {
    const km = new RecordingKeyManager({ reestablishTurns: 2 });
    const old = km.addIkeSa({ local: COA1, remote: HA, childReqids: [1, 4] });
    let done = false;
    const p = km.reestablish(HA, COA2).then(() => {
      done = true;
    });
    await Promise.resolve();
    expect(done).toBe(false);
    expect(km.ikeSas()).toEqual([]);
    await p;
    const [fresh] = km.ikeSas();
    expect(fresh).toMatchObject({ local: { ip: COA2 }, remote: { ip: HA }, childReqids: [1, 4] });
    expect(fresh!.ikeSpi).not.toBe(old.ikeSpi);
    expect(km.calls.map((c) => c.kind)).toEqual(['reestablish', 'reestablish-done']);
  });

  it('follows MIGRATE broadcasts with kmaddress like strongSwan: IKE_SAs by reqid and old peer, hints per policy', async () => {
    const bus = new Bus();
    const km = new RecordingKeyManager({ bus });
    km.addIkeSa({ local: HA, remote: COA1, childReqids: [4] });
    km.addIkeSa({ local: HA, remote: '2001:db8:77::1', childReqids: [4] });
    const sel = selector('::/0', HOA);
    const bundle = { proto: 'esp', mode: 'tunnel', level: 'require', reqid: 4 } as const;
    bus.emit({
      type: 'kernel.migrate',
      selector: sel,
      dir: 'out',
      bundles: [{ ...bundle, oldSrc: HA, oldDst: COA1, newSrc: HA, newDst: COA2 }],
      kmaddress: { local: HA, remote: COA2 },
    });
    // Without kmaddress strongSwan does nothing.
    bus.emit({
      type: 'kernel.migrate',
      selector: sel,
      dir: 'out',
      bundles: [{ ...bundle, oldSrc: HA, oldDst: COA2, newSrc: HA, newDst: COA1 }],
    });
    expect(km.ikeSas().map((s) => s.remote.ip)).toEqual([COA2, '2001:db8:77::1']);
    expect(km.hintFor({ selector: sel, dir: 'out' })).toEqual({ local: HA, remote: COA2 });
    expect(km.hintFor({ selector: selector(HOA, HA, { proto: IPPROTO_MH }), dir: 'out' })).toBeUndefined();
    km.close();
    await settle();
  });
});
