import type { IpsecRequest, SecurityAssociation, SecurityPolicy } from '@mip6sec/core';
import { selector } from '@mip6sec/core';
import { haPolicies, mnPolicies } from '@mip6sec/mip6';
import { describe, expect, it } from 'vitest';
import { COA1, COA2, HA, HOA } from './harness.test-util.js';
import { KmaddressImage } from './kmaddress-image.js';
import { buildMigrates, MIGRATE_MAX_PAIRS, planRepairs } from './migrate-builder.js';

const spd = (set: ReturnType<typeof mnPolicies>): SecurityPolicy[] =>
  set.map((p, i) => ({ ...p.id, ...p.data, index: 8 * i + 1 }));

const pairs = (rs: ReturnType<typeof buildMigrates>) =>
  rs.map(
    (r) =>
      `${r.dir} ${r.selector.proto}${r.selector.mhType === undefined ? '' : `/${r.selector.mhType}`}: ${r.bundles
        .map((b) => `${b.mode} ${b.reqid} ${b.oldSrc}>${b.oldDst} => ${b.newSrc}>${b.newDst}`)
        .join(', ')}`,
  );

function sa(src: string, dst: string, reqid: number, spi: number): SecurityAssociation {
  return {
    src,
    dst,
    spi,
    proto: 'esp',
    mode: 'tunnel',
    reqid,
    enc: { alg: 'aes-gcm-16', key: new Uint8Array(20) },
    replayWindow: 32,
    state: 'mature',
    current: { bytes: 0, packets: 0, addTime: 0, seq: 0 },
  };
}

describe('buildMigrates', () => {
  it('MN CoA -> CoA: tunnel pairs per direction, transport pairs unchanged, kmaddress (new CoA, HA)', () => {
    const reqs = buildMigrates(spd(mnPolicies({ hoa: HOA, ha: HA, coa: COA1 })), {
      role: 'mn',
      hoa: HOA,
      ha: HA,
      from: COA1,
      to: COA2,
    });
    expect(pairs(reqs)).toEqual([
      `out 135/5: transport 1 ${HOA}>${HA} => ${HOA}>${HA}`,
      `in 135/6: transport 1 ${HA}>${HOA} => ${HA}>${HOA}`,
      `out 58: transport 2 ${HOA}>${HA} => ${HOA}>${HA}`,
      `in 58: transport 2 ${HA}>${HOA} => ${HA}>${HOA}`,
      `out 135/1: tunnel 3 ${COA1}>${HA} => ${COA2}>${HA}`,
      `in 135/3: tunnel 3 ${HA}>${COA1} => ${HA}>${COA2}`,
      `out 255: tunnel 4 ${COA1}>${HA} => ${COA2}>${HA}`,
      `in 255: tunnel 4 ${HA}>${COA1} => ${HA}>${COA2}`,
    ]);
    for (const r of reqs) expect(r.kmaddress).toEqual({ local: COA2, remote: HA });
  });

  it('takes old pairs from the daemon belief, not from the templates', () => {
    const reqs = buildMigrates(spd(mnPolicies({ hoa: HOA, ha: HA, coa: COA1 })), {
      role: 'mn',
      hoa: HOA,
      ha: HA,
      from: HOA,
      to: COA2,
    });
    expect(pairs(reqs)).toContain(`out 255: tunnel 4 ${HOA}>${HA} => ${COA2}>${HA}`);
  });

  it('HA: in and fwd from the MN, out to it; kmaddress (HA, new CoA)', () => {
    const reqs = buildMigrates(spd(haPolicies({ hoa: HOA, ha: HA, coa: COA1 })), {
      role: 'ha',
      hoa: HOA,
      ha: HA,
      from: COA1,
      to: COA2,
    });
    expect(pairs(reqs).filter((p) => p.includes('tunnel 4'))).toEqual([
      `in 255: tunnel 4 ${COA1}>${HA} => ${COA2}>${HA}`,
      `fwd 255: tunnel 4 ${COA1}>${HA} => ${COA2}>${HA}`,
      `out 255: tunnel 4 ${HA}>${COA1} => ${HA}>${COA2}`,
    ]);
    for (const r of reqs) expect(r.kmaddress).toEqual({ local: HA, remote: COA2 });
  });

  it("ignores other MNs' entries, bypass entries and tunnels to other gateways", () => {
    const other = spd(mnPolicies({ hoa: '2001:db8:0:1::200', ha: HA, coa: COA1 }));
    const bypass: SecurityPolicy = {
      ...other[0]!,
      selector: selector(HOA, HA),
      action: 'bypass',
      templates: [],
    };
    const gw: IpsecRequest = {
      proto: 'esp',
      mode: 'tunnel',
      level: 'require',
      reqid: 9,
      src: COA1,
      dst: '2001:db8:ff::1',
    };
    const vpn: SecurityPolicy = {
      ...other[0]!,
      selector: selector(HOA, '2001:db8:99::/64'),
      templates: [gw],
    };
    expect(
      buildMigrates([...other, bypass, vpn], { role: 'mn', hoa: HOA, ha: HA, from: COA1, to: COA2 }),
    ).toEqual([]);
  });

  it('splits more than six pairs and drops duplicates (the kernel refuses both)', () => {
    const t = (reqid: number): IpsecRequest => ({
      proto: 'esp',
      mode: 'tunnel',
      level: 'require',
      reqid,
      src: COA1,
      dst: HA,
    });
    const p: SecurityPolicy = {
      selector: selector(HOA, '::/0'),
      dir: 'out',
      action: 'protect',
      priority: 1,
      index: 1,
      templates: [1, 2, 3, 4, 5, 6, 7, 7].map(t),
    };
    const reqs = buildMigrates([p], { role: 'mn', hoa: HOA, ha: HA, from: COA1, to: COA2 });
    expect(reqs.map((r) => r.bundles.length)).toEqual([MIGRATE_MAX_PAIRS, 1]);
  });
});

describe('planRepairs', () => {
  const scope = { hoa: HOA, ha: HA, coa: COA2, previous: new Set([HOA, COA1]) };
  const learnt = (policies: SecurityPolicy[], kmaddress = { local: COA2, remote: HA }) => {
    const image = new KmaddressImage();
    for (const p of policies) image.learn({ ...p, bundles: [], kmaddress });
    return image;
  };

  it('is empty when templates, SAs and hints are consistent, so a second run writes nothing', () => {
    const policies = spd(mnPolicies({ hoa: HOA, ha: HA, coa: COA2 }));
    const sas = [sa(COA2, HA, 4, 1), sa(HA, COA2, 4, 2)];
    expect(planRepairs(policies, sas, learnt(policies), scope, 'mn')).toEqual([]);
  });

  it('moves a template still on an old address, old pair taken from the kernel', () => {
    const policies = spd(mnPolicies({ hoa: HOA, ha: HA, coa: COA2 }));
    const stale = policies.map((p) =>
      p.dir === 'out' && p.selector.proto === 255
        ? { ...p, templates: p.templates.map((t) => ({ ...t, src: COA1 })) }
        : p,
    );
    expect(pairs(planRepairs(stale, [], learnt(policies), scope, 'mn'))).toEqual([
      `out 255: tunnel 4 ${COA1}>${HA} => ${COA2}>${HA}`,
    ]);
  });

  it('moves an SA left on an old address with an anchor pair the template matches', () => {
    const policies = spd(mnPolicies({ hoa: HOA, ha: HA, coa: COA2 }));
    const sas = [sa(COA1, HA, 4, 1), sa(HA, COA2, 4, 2), sa(COA1, HA, 4, 3)];
    expect(pairs(planRepairs(policies, sas, learnt(policies), scope, 'mn'))).toEqual([
      `out 255: tunnel 4 ${COA2}>${HA} => ${COA2}>${HA}, tunnel 4 ${COA1}>${HA} => ${COA2}>${HA}`,
    ]);
  });

  it('leaves SAs on addresses this binding never had (another MN sharing the reqid)', () => {
    const policies = spd(haPolicies({ hoa: HOA, ha: HA, coa: COA2 }));
    const sas = [sa('2001:db8:77::1', HA, 4, 1), sa(HA, '2001:db8:77::1', 4, 2)];
    expect(planRepairs(policies, sas, learnt(policies, { local: HA, remote: COA2 }), scope, 'ha')).toEqual(
      [],
    );
  });

  it('re-delivers a wrong hint, and a missing one only for transport entries', () => {
    const policies = spd(mnPolicies({ hoa: HOA, ha: HA, coa: COA2 }));
    expect(pairs(planRepairs(policies, [], new KmaddressImage(), scope, 'mn'))).toEqual([
      `out 135/5: transport 1 ${HOA}>${HA} => ${HOA}>${HA}`,
      `in 135/6: transport 1 ${HA}>${HOA} => ${HA}>${HOA}`,
      `out 58: transport 2 ${HOA}>${HA} => ${HOA}>${HA}`,
      `in 58: transport 2 ${HA}>${HOA} => ${HA}>${HOA}`,
    ]);
    const wrong = learnt(policies, { local: COA1, remote: HA });
    const reqs = planRepairs(policies, [], wrong, scope, 'mn');
    expect(reqs).toHaveLength(8);
    expect(pairs(reqs)).toContain(`out 255: tunnel 4 ${COA2}>${HA} => ${COA2}>${HA}`);
  });
});
