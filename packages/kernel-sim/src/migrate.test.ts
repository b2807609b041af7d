import { IPPROTO_MH } from '@mip6sec/core';
import {
  buildMigrate,
  ERRNO,
  encode,
  getExtension,
  IPPROTO_ESP,
  IPSEC_DIR_INBOUND,
  IPSEC_DIR_OUTBOUND,
  IPSEC_MODE_TRANSPORT,
  IPSEC_MODE_TUNNEL,
  type KmaddressExt,
  type MigrateSpec,
  type PfkeyMessage,
  SADB_SATYPE_ESP,
  SADB_X_EXT_KMADDRESS,
  SADB_X_EXT_POLICY,
  SADB_X_MIGRATE,
} from '@mip6sec/pfkey-codec';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addSa,
  COA1,
  COA2,
  HA,
  HOA,
  inbox,
  newKernel,
  register,
  send,
  spdAdd,
  tunnelPolicy,
} from './kit.test-util.js';
import type { PfkeyKernel } from './pfkey-kernel.js';
import type { PfkeySocket } from './pfkey-socket.js';

/** An MN kernel: tunnel policies through CoA1, their SAs, and a BU policy with its transport SA. */
function mobileNode(opts: { migrateLookup?: 'exact' | 'flow' } = {}): {
  kernel: PfkeyKernel;
  s: PfkeySocket;
} {
  const { kernel } = newKernel(opts);
  const s = kernel.openSocket('mip6d');
  send(s, tunnelPolicy(COA1, 0x42, IPSEC_DIR_OUTBOUND));
  send(s, tunnelPolicy(COA1, 0x42, IPSEC_DIR_INBOUND));
  send(s, addSa({ spi: 0x100, src: COA1, dst: HA, mode: IPSEC_MODE_TUNNEL, reqid: 0x42 }));
  send(s, addSa({ spi: 0x200, src: HA, dst: COA1, mode: IPSEC_MODE_TUNNEL, reqid: 0x42 }));
  // The BU policy: MH type 5 in the selector's source port, as Linux carries it.
  send(
    s,
    withPorts(
      spdAdd({
        selector: { src: HOA, dst: HA, proto: IPPROTO_MH },
        dir: IPSEC_DIR_OUTBOUND,
        templates: [{ proto: IPPROTO_ESP, mode: IPSEC_MODE_TRANSPORT, reqid: 0x10 }],
      }) as PfkeyMessage,
      5,
      0,
    ),
  );
  send(s, addSa({ spi: 0x300, src: HOA, dst: HA, reqid: 0x10 }));
  expect(inbox(s).every((m) => m.errno === 0)).toBe(true);
  return { kernel, s };
}

function withPorts(m: PfkeyMessage, sport: number, dport: number): PfkeyMessage {
  return {
    ...m,
    extensions: m.extensions.map((e) =>
      e.type === 5
        ? { ...e, address: { ...e.address, port: sport } }
        : e.type === 6
          ? { ...e, address: { ...e.address, port: dport } }
          : e,
    ),
  };
}

const outMove = (from = COA1, to = COA2): MigrateSpec => ({
  selector: { src: HOA, dst: '::/0' },
  dir: IPSEC_DIR_OUTBOUND,
  kmaddress: { local: to, remote: HA },
  bundles: [
    {
      proto: IPPROTO_ESP,
      mode: IPSEC_MODE_TUNNEL,
      reqid: 0x42,
      old: { src: from, dst: HA },
      new: { src: to, dst: HA },
    },
  ],
  seq: 9,
  pid: 77,
});

function migrate(s: PfkeySocket, m: PfkeyMessage | MigrateSpec, validate = true): number | string {
  const msg = 'bundles' in m ? buildMigrate(m) : m;
  const bytes = encode(msg, validate ? { origin: 'user' } : { validate: false });
  try {
    s.write(bytes);
  } catch (e) {
    return (e as { code: string }).code;
  }
  const err = inbox(s).find((r) => r.errno !== 0);
  return err ? err.errno : 0;
}

describe('SADB_X_MIGRATE success', () => {
  it('moves the template endpoints and every matching SA, and broadcasts to all sockets with the KMADDRESS intact', () => {
    const { kernel, s } = mobileNode();
    const ike = kernel.openSocket('charon');
    const idle = kernel.openSocket('idle');
    register(ike);
    const sa = kernel.sad.get({ dst: HA, spi: 0x100, proto: 'esp' })!;
    sa.oseqLo = 500;
    sa.bytes = 1234;
    const key = sa.enc.key;
    const beforeIn = structuredClone(kernel.snapshot().sas.find((x) => x.spi === 0x200));

    const msg = buildMigrate(outMove());
    s.write(encode(msg, { origin: 'user' }));
    // No reply to the sender on success: it sees only the broadcast, like everyone.
    for (const sock of [s, ike, idle]) {
      const got = inbox(sock);
      expect(got.length).toBe(1);
      const m = got[0]!;
      expect(m).toMatchObject({ type: SADB_X_MIGRATE, errno: 0, satype: SADB_SATYPE_ESP, seq: 0, pid: 0 });
      expect(getExtension(m, SADB_X_EXT_KMADDRESS)).toEqual(
        getExtension(msg, SADB_X_EXT_KMADDRESS) as KmaddressExt,
      );
      expect(getExtension(m, SADB_X_EXT_POLICY)!.requests).toEqual(
        getExtension(msg, SADB_X_EXT_POLICY)!.requests,
      );
    }
    const out = kernel.spd.dump().find((p) => p.dir === 'out' && p.selector.dst.len === 0)!;
    expect(out.templates[0]).toMatchObject({ src: COA2, dst: HA, reqid: 0x42 });
    const inPol = kernel.spd.dump().find((p) => p.dir === 'in')!;
    expect(inPol.templates[0]).toMatchObject({ src: HA, dst: COA1 });
    // The SA moved in place: same record, keys, counters.
    expect(kernel.sad.get({ dst: HA, spi: 0x100, proto: 'esp' })).toBe(sa);
    expect([sa.src, sa.dst, sa.oseqLo, sa.bytes, sa.enc.key]).toEqual([COA2, HA, 500, 1234, key]);
    expect(kernel.sad.findOutbound('esp', 'tunnel', 0x42, COA2, HA)).toBe(sa);
    expect(kernel.snapshot().sas.find((x) => x.spi === 0x200)).toEqual(beforeIn);

    // Inbound direction: the destination changes, so the SA is found under its new address.
    const back: MigrateSpec = {
      selector: { src: '::/0', dst: HOA },
      dir: IPSEC_DIR_INBOUND,
      bundles: [
        {
          proto: IPPROTO_ESP,
          mode: IPSEC_MODE_TUNNEL,
          reqid: 0x42,
          old: { src: HA, dst: COA1 },
          new: { src: HA, dst: COA2 },
        },
      ],
    };
    expect(migrate(s, back)).toBe(0);
    expect(kernel.sad.get({ dst: COA1, spi: 0x200, proto: 'esp' })).toBeUndefined();
    expect(kernel.sad.get({ dst: COA2, spi: 0x200, proto: 'esp' })?.src).toBe(HA);
  });

  it('transport templates match on protocol, mode and reqid and keep no endpoints', () => {
    const { kernel, s } = mobileNode();
    const spec = (sport: number) =>
      withPorts(
        buildMigrate({
          selector: { src: HOA, dst: HA, proto: IPPROTO_MH },
          dir: IPSEC_DIR_OUTBOUND,
          bundles: [
            {
              proto: IPPROTO_ESP,
              mode: IPSEC_MODE_TRANSPORT,
              reqid: 0x10,
              old: { src: COA1, dst: HA },
              new: { src: COA2, dst: HA },
            },
          ],
        }),
        sport,
        0,
      );
    // "Any MH type" is another selector than the BU policy's: ENOENT with the exact lookup.
    expect(migrate(s, spec(0))).toBe(ERRNO.ENOENT);
    const before = kernel.snapshot();
    expect(migrate(s, spec(5))).toBe(0);
    // The transport SA is for the home address, not the CoA: untouched, as is the template.
    expect(kernel.snapshot()).toEqual(before);
  });

  it('keeps traffic flowing between MN and HA kernels with sequence and replay state intact', async () => {
    const mn = newKernel().kernel;
    const ha = newKernel().kernel;
    const ms = mn.openSocket();
    const hs = ha.openSocket();
    send(ms, tunnelPolicy(COA1, 0x42, IPSEC_DIR_OUTBOUND));
    send(ms, addSa({ spi: 0x100, src: COA1, dst: HA, mode: IPSEC_MODE_TUNNEL, reqid: 0x42 }));
    send(
      hs,
      spdAdd({
        selector: { src: HOA, dst: '::/0' },
        dir: IPSEC_DIR_INBOUND,
        templates: [{ proto: IPPROTO_ESP, mode: IPSEC_MODE_TUNNEL, reqid: 0x42, src: COA1, dst: HA }],
      }),
    );
    send(hs, addSa({ spi: 0x100, src: COA1, dst: HA, mode: IPSEC_MODE_TUNNEL, reqid: 0x42 }));
    const pkt = { src: HOA, dst: HA, proto: 17, payload: new Uint8Array(16) };
    for (let i = 0; i < 3; i++) {
      const r = mn.datapath.output(pkt);
      if (r.kind !== 'send') throw new Error(r.kind);
      expect(ha.datapath.input(r.bytes).kind).toBe('deliver');
    }
    expect(migrate(ms, outMove())).toBe(0);
    expect(
      migrate(hs, {
        selector: { src: HOA, dst: '::/0' },
        dir: IPSEC_DIR_INBOUND,
        bundles: [
          {
            proto: IPPROTO_ESP,
            mode: IPSEC_MODE_TUNNEL,
            reqid: 0x42,
            old: { src: COA1, dst: HA },
            new: { src: COA2, dst: HA },
          },
        ],
      }),
    ).toBe(0);
    const r = mn.datapath.output(pkt);
    if (r.kind !== 'send') throw new Error(r.kind);
    expect(r.bytes.subarray(8, 24)).toEqual(
      Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0xdd, 0xdd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5]),
    );
    expect(ha.datapath.input(r.bytes)).toMatchObject({
      kind: 'deliver',
      packet: { sa: { src: COA2, spi: 0x100 } },
    });
    expect(ha.sad.get({ dst: HA, spi: 0x100, proto: 'esp' })!.replay.top.lo).toBe(4);
  });
});

describe('SADB_X_MIGRATE errors (kernel-interfaces.md 2.4, 3.7)', () => {
  const cases: [string, (m: PfkeyMessage) => PfkeyMessage, number][] = [
    [
      'no X_POLICY',
      (m) => ({ ...m, extensions: m.extensions.filter((e) => e.type !== SADB_X_EXT_POLICY) }),
      ERRNO.EINVAL,
    ],
    ['no ADDRESS_SRC', (m) => ({ ...m, extensions: m.extensions.filter((e) => e.type !== 5) }), ERRNO.EINVAL],
    [
      'selector families differ',
      (m) => ({
        ...m,
        extensions: m.extensions.map((e) =>
          e.type === 6 ? { ...e, prefixlen: 0, address: { family: 2, port: 0, addr: new Uint8Array(4) } } : e,
        ),
      }),
      ERRNO.EINVAL,
    ],
    ['direction ANY', (m) => withPolicy(m, (p) => ({ ...p, dir: 0 })), ERRNO.EINVAL],
    ['direction 4', (m) => withPolicy(m, (p) => ({ ...p, dir: 4 })), ERRNO.EINVAL],
    ['no pair', (m) => withPolicy(m, (p) => ({ ...p, requests: [] })), ERRNO.EINVAL],
    [
      'an old request without its new one',
      (m) => withPolicy(m, (p) => ({ ...p, requests: p.requests.slice(0, 1) })),
      ERRNO.EINVAL,
    ],
    [
      'proto differs inside a pair',
      (m) => withPolicy(m, (p) => ({ ...p, requests: [p.requests[0]!, { ...p.requests[1]!, proto: 51 }] })),
      ERRNO.EINVAL,
    ],
    [
      'reqid differs inside a pair',
      (m) => withPolicy(m, (p) => ({ ...p, requests: [p.requests[0]!, { ...p.requests[1]!, reqid: 1 }] })),
      ERRNO.EINVAL,
    ],
    [
      'mode IPTFS',
      (m) => withPolicy(m, (p) => ({ ...p, requests: p.requests.map((r) => ({ ...r, mode: 4 })) })),
      ERRNO.EINVAL,
    ],
    [
      'seven pairs',
      (m) =>
        withPolicy(m, (p) => ({
          ...p,
          requests: Array.from({ length: 7 }, (_, i) =>
            p.requests.map((r) => ({ ...r, reqid: i + 1 })),
          ).flat(),
        })),
      ERRNO.EINVAL,
    ],
    [
      'an all-zero new address',
      (m) =>
        withPolicy(m, (p) => ({
          ...p,
          requests: [
            p.requests[0]!,
            { ...p.requests[1]!, src: { family: 10, port: 0, addr: new Uint8Array(16) } },
          ],
        })),
      ERRNO.EINVAL,
    ],
    [
      'two pairs for the same old endpoints',
      (m) => withPolicy(m, (p) => ({ ...p, requests: [...p.requests, ...p.requests] })),
      ERRNO.EINVAL,
    ],
    [
      'a policy that does not exist (direction)',
      (m) => withPolicy(m, (p) => ({ ...p, dir: 3 })),
      ERRNO.ENOENT,
    ],
    [
      'a policy that does not exist (selector)',
      (m) => ({ ...m, extensions: m.extensions.map((e) => (e.type === 6 ? { ...e, prefixlen: 64 } : e)) }),
      ERRNO.ENOENT,
    ],
    [
      'stale old endpoints',
      (m) =>
        withPolicy(m, (p) => ({
          ...p,
          requests: p.requests.map((r) => ({
            ...r,
            src: r.src && {
              ...r.src,
              addr: Uint8Array.from([0x20, 1, 0xd, 0xb8, 0xee, 0xee, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5]),
            },
          })),
        })),
      ERRNO.ENODATA,
    ],
    [
      'a reqid no template has',
      (m) => withPolicy(m, (p) => ({ ...p, requests: p.requests.map((r) => ({ ...r, reqid: 0x43 })) })),
      ERRNO.ENODATA,
    ],
    [
      'another protocol',
      (m) => withPolicy(m, (p) => ({ ...p, requests: p.requests.map((r) => ({ ...r, proto: 51 })) })),
      ERRNO.ENODATA,
    ],
  ];

  function withPolicy(
    m: PfkeyMessage,
    f: (p: NonNullable<ReturnType<typeof getExtension<typeof SADB_X_EXT_POLICY>>>) => object,
  ): PfkeyMessage {
    return {
      ...m,
      extensions: m.extensions.map((e) => (e.type === SADB_X_EXT_POLICY ? (f(e) as typeof e) : e)),
    };
  }

  for (const [name, mutate, errno] of cases) {
    it(`${name}: ${Object.entries(ERRNO).find(([, v]) => v === errno)![0]} and nothing changes`, () => {
      const { kernel, s } = mobileNode();
      const other = kernel.openSocket();
      const before = kernel.snapshot();
      expect(migrate(s, mutate(buildMigrate(outMove())), false)).toBe(errno);
      expect(kernel.snapshot()).toEqual(before);
      expect(inbox(other)).toEqual([]);
    });
  }

  it('the same MIGRATE twice: the second gets ENODATA (its old endpoints are stale)', () => {
    const { s } = mobileNode();
    expect(migrate(s, outMove())).toBe(0);
    expect(migrate(s, outMove())).toBe(ERRNO.ENODATA);
  });

  it('a truncated message fails the write itself (EMSGSIZE)', () => {
    const { s } = mobileNode();
    const bytes = encode(buildMigrate(outMove()));
    expect(() => s.write(bytes.subarray(0, bytes.length - 8))).toThrow(
      expect.objectContaining({ code: 'EMSGSIZE' }),
    );
  });
});

describe('MIGRATE policy lookup: exact (draft, Linux < 6.12) or flow (Linux 6.12+)', () => {
  it('flow lookup finds a /64 policy from a /128 selector; exact does not', () => {
    const spec: MigrateSpec = { ...outMove(), selector: { src: `${HOA}/128`, dst: '2001:db8:99::/64' } };
    expect(migrate(mobileNode().s, spec)).toBe(ERRNO.ENOENT);
    expect(migrate(mobileNode({ migrateLookup: 'flow' }).s, spec)).toBe(0);
  });

  it('flow lookup misses an MH-type policy with its own selector; the type in the dport high byte finds it', () => {
    // Only the BU policy, as in kernel-probes/mh_selector_probe.py (a wider policy would catch the flow).
    const { kernel } = newKernel({ migrateLookup: 'flow' });
    const s = kernel.openSocket();
    send(
      s,
      withPorts(
        spdAdd({
          selector: { src: HOA, dst: HA, proto: IPPROTO_MH },
          dir: IPSEC_DIR_OUTBOUND,
          templates: [{ proto: IPPROTO_ESP, mode: IPSEC_MODE_TRANSPORT, reqid: 0x10 }],
        }) as PfkeyMessage,
        5,
        0,
      ),
    );
    inbox(s);
    const spec = (dport: number): PfkeyMessage =>
      withPorts(
        buildMigrate({
          selector: { src: HOA, dst: HA, proto: IPPROTO_MH },
          dir: IPSEC_DIR_OUTBOUND,
          bundles: [
            {
              proto: IPPROTO_ESP,
              mode: IPSEC_MODE_TRANSPORT,
              reqid: 0x10,
              old: { src: HOA, dst: HA },
              new: { src: HOA, dst: HA },
            },
          ],
        }),
        5,
        dport,
      );
    expect(migrate(s, spec(0))).toBe(ERRNO.ENOENT);
    expect(migrate(s, spec(5 << 8))).toBe(0);
    // With exact lookup the identical selector is found.
    const exact = mobileNode();
    expect(migrate(exact.s, spec(0))).toBe(0);
    expect(kernel.spd.size).toBe(1);
  });
});

describe('MIGRATE failures leave SPD and SAD as they were (property)', () => {
  it('random MIGRATEs: an error never changes a snapshot', () => {
    const addrs = [COA1, COA2, HA, HOA, '::', '2001:db8:eeee::1'];
    const addr = fc.constantFrom(...addrs);
    const req = fc.record({
      proto: fc.constantFrom(IPPROTO_ESP, 51),
      mode: fc.constantFrom(IPSEC_MODE_TRANSPORT, IPSEC_MODE_TUNNEL),
      reqid: fc.constantFrom(0, 0x10, 0x42, 0x43),
      oldSrc: addr,
      oldDst: addr,
      newSrc: addr,
      newDst: addr,
    });
    const arb = fc.record({
      base: fc.boolean(),
      selSrc: fc.constantFrom(HOA, '::/0', `${HOA}/64`),
      selDst: fc.constantFrom('::/0', HOA, HA),
      proto: fc.constantFrom(255, IPPROTO_MH),
      dir: fc.constantFrom(IPSEC_DIR_INBOUND, IPSEC_DIR_OUTBOUND, 3),
      bundles: fc.array(req, { minLength: 1, maxLength: 3 }),
      kma: fc.boolean(),
      lookup: fc.constantFrom('exact' as const, 'flow' as const),
    });
    let failures = 0;
    let successes = 0;
    fc.assert(
      fc.property(arb, (a) => {
        const { kernel, s } = mobileNode({ migrateLookup: a.lookup });
        const before = kernel.snapshot();
        const random = a.bundles.map((b) => ({
          proto: b.proto,
          mode: b.mode,
          reqid: b.reqid,
          old: { src: b.oldSrc, dst: b.oldDst },
          new: { src: b.newSrc, dst: b.newDst },
        }));
        // Half the cases start from a MIGRATE that can succeed, so both outcomes are exercised.
        const spec: MigrateSpec = a.base
          ? { ...outMove(), bundles: [...outMove().bundles, ...random.slice(1)] }
          : {
              selector: { src: a.selSrc, dst: a.selDst, proto: a.proto },
              dir: a.dir,
              ...(a.kma ? { kmaddress: { local: COA2, remote: HA } } : {}),
              bundles: random,
            };
        const errno = migrate(s, spec, false);
        if (errno !== 0) {
          failures++;
          expect(kernel.snapshot()).toEqual(before);
        } else {
          successes++;
          expect(kernel.spd.size).toBe(before.policies.length);
          expect(kernel.sad.size).toBe(before.sas.length);
        }
      }),
      { numRuns: 300 },
    );
    expect(failures).toBeGreaterThan(0);
    expect(successes).toBeGreaterThan(0);
  });
});
