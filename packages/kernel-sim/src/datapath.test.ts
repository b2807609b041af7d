import { type CryptoProvider, IPPROTO_MH, IPPROTO_UDP, type SaId } from '@mip6sec/core';
import { NativeCryptoProvider, PortableCryptoProvider } from '@mip6sec/crypto';
import {
  IPPROTO_ESP,
  IPSEC_DIR_FWD,
  IPSEC_DIR_INBOUND,
  IPSEC_DIR_OUTBOUND,
  IPSEC_MODE_TRANSPORT,
  IPSEC_MODE_TUNNEL,
  IPSEC_POLICY_DISCARD,
  type PfkeyMessage,
  SADB_X_EXT_NAT_T_DPORT,
  SADB_X_EXT_NAT_T_SPORT,
  SADB_X_EXT_NAT_T_TYPE,
} from '@mip6sec/pfkey-codec';
import { describe, expect, it } from 'vitest';
import { buildIpPacket, buildUdp, parseIpPacket, parseUdp } from './ip-packet.js';
import { addSa, inbox, newKernel, SUITES, type Suite, send, spdAdd } from './kit.test-util.js';
import type { PfkeyKernel } from './pfkey-kernel.js';

function withEncap(m: PfkeyMessage, sport = 4500, dport = 4500): PfkeyMessage {
  return {
    ...m,
    extensions: [
      ...m.extensions,
      { type: SADB_X_EXT_NAT_T_TYPE, natType: 2 },
      { type: SADB_X_EXT_NAT_T_SPORT, port: sport },
      { type: SADB_X_EXT_NAT_T_DPORT, port: dport },
    ],
  };
}

interface PairOpts {
  suite: Suite;
  mode: 'transport' | 'tunnel';
  /** Inner (selector) addresses of the two sides. */
  a: string;
  b: string;
  /** Tunnel endpoints (outer addresses); default the inner ones. */
  ta?: string;
  tb?: string;
  encap?: boolean;
  esn?: boolean;
  replay?: number;
  /** The two kernels' crypto providers; the default provider otherwise. */
  crypto?: readonly [CryptoProvider, CryptoProvider];
}

/** Two kernels with policies and SAs protecting a <-> b, installed through PF_KEY. */
function pair(o: PairOpts): { A: PfkeyKernel; B: PfkeyKernel; out: SaId; back: SaId } {
  const A = newKernel(o.crypto ? { crypto: o.crypto[0] } : {}).kernel;
  const B = newKernel(o.crypto ? { crypto: o.crypto[1] } : {}).kernel;
  const ta = o.ta ?? o.a;
  const tb = o.tb ?? o.b;
  const mode = o.mode === 'tunnel' ? IPSEC_MODE_TUNNEL : IPSEC_MODE_TRANSPORT;
  const tmpl = (src: string, dst: string) =>
    o.mode === 'tunnel'
      ? [{ proto: IPPROTO_ESP, mode, reqid: 7, src, dst }]
      : [{ proto: IPPROTO_ESP, mode, reqid: 7 }];
  const sa = (spi: number, src: string, dst: string) => {
    const m = addSa({
      spi,
      src,
      dst,
      suite: o.suite,
      mode,
      reqid: 7,
      replay: o.replay ?? 64,
      flags: o.esn ? 0x400 : 0,
    });
    return o.encap ? withEncap(m) : m;
  };
  for (const [k, me, peer, tme, tpeer, outSpi, inSpi] of [
    [A, o.a, o.b, ta, tb, 0x1001, 0x2002],
    [B, o.b, o.a, tb, ta, 0x2002, 0x1001],
  ] as const) {
    const s = k.openSocket();
    expect(
      send(
        s,
        spdAdd({ selector: { src: me, dst: peer }, dir: IPSEC_DIR_OUTBOUND, templates: tmpl(tme, tpeer) }),
      ),
    ).toBe(0);
    expect(
      send(
        s,
        spdAdd({ selector: { src: peer, dst: me }, dir: IPSEC_DIR_INBOUND, templates: tmpl(tpeer, tme) }),
      ),
    ).toBe(0);
    send(s, sa(outSpi, tme, tpeer));
    send(s, sa(inSpi, tpeer, tme));
    expect(inbox(s).every((m) => m.errno === 0)).toBe(true);
  }
  return {
    A,
    B,
    out: { src: ta, dst: tb, spi: 0x1001, proto: 'esp' },
    back: { src: tb, dst: ta, spi: 0x2002, proto: 'esp' },
  };
}

const udp = (src: string, dst: string, data = new Uint8Array(100).fill(0xab)) =>
  buildUdp(src, dst, 1234, 5678, data);

describe('ESP round trip between two simulated kernels', () => {
  const shapes = [
    { label: 'transport IPv6', mode: 'transport', a: '2001:db8::a', b: '2001:db8::b' },
    {
      label: 'tunnel IPv6',
      mode: 'tunnel',
      a: '2001:db8:1::a',
      b: '2001:db8:2::b',
      ta: '2001:db8::1',
      tb: '2001:db8::2',
    },
    { label: 'transport IPv4', mode: 'transport', a: '192.0.2.1', b: '192.0.2.2' },
    {
      label: 'tunnel IPv4',
      mode: 'tunnel',
      a: '10.1.0.1',
      b: '10.2.0.1',
      ta: '192.0.2.1',
      tb: '198.51.100.1',
    },
    {
      label: 'tunnel IPv6 in IPv4',
      mode: 'tunnel',
      a: '2001:db8:1::a',
      b: '2001:db8:2::b',
      ta: '192.0.2.1',
      tb: '198.51.100.1',
    },
  ] as const;
  for (const suite of SUITES) {
    for (const shape of shapes) {
      it(`${suite.name}, ${shape.label}`, () => {
        const { A, B, out } = pair({ suite, ...shape });
        for (let i = 0; i < 3; i++) {
          const payload = udp(shape.a, shape.b, new Uint8Array(50 + i * 17).fill(i));
          const r = A.datapath.output({ src: shape.a, dst: shape.b, proto: IPPROTO_UDP, payload });
          expect(r.kind).toBe('send');
          if (r.kind !== 'send') return;
          const outer = parseIpPacket(r.bytes);
          expect(outer.proto).toBe(IPPROTO_ESP);
          expect(outer.src).toBe(out.src);
          const got = B.datapath.input(r.bytes);
          expect(got).toMatchObject({
            kind: 'deliver',
            packet: { src: shape.a, dst: shape.b, proto: IPPROTO_UDP, sa: out },
          });
          if (got.kind === 'deliver') expect(got.packet.payload).toEqual(payload);
        }
        const saB = B.sad.get(out)!;
        expect(saB.packets).toBe(3);
        expect(saB.replay.top).toEqual({ hi: 0, lo: 3 });
        expect(A.sad.get(out)!.oseqLo).toBe(3);
      });
    }
  }

  it('UDP-encapsulated ESP (RFC 3948), IPv4 transport and IPv6 tunnel', () => {
    for (const shape of [
      { mode: 'transport' as const, a: '192.0.2.1', b: '198.51.100.7' },
      {
        mode: 'tunnel' as const,
        a: '2001:db8:1::a',
        b: '2001:db8:2::b',
        ta: '2001:db8::1',
        tb: '2001:db8::2',
      },
    ]) {
      const { A, B, out } = pair({ suite: SUITES[3]!, ...shape, encap: true });
      const payload = udp(shape.a, shape.b);
      const r = A.datapath.output({ src: shape.a, dst: shape.b, proto: IPPROTO_UDP, payload });
      if (r.kind !== 'send') throw new Error(r.kind);
      const outer = parseIpPacket(r.bytes);
      expect(outer.proto).toBe(IPPROTO_UDP);
      const dgram = parseUdp(outer.payload);
      expect([dgram.sport, dgram.dport]).toEqual([4500, 4500]);
      expect(dgram.checksum === 0).toBe(outer.family === 4);
      expect(new DataView(dgram.data.buffer, dgram.data.byteOffset).getUint32(0)).toBe(out.spi);
      expect(B.datapath.input(r.bytes)).toMatchObject({
        kind: 'deliver',
        packet: { proto: IPPROTO_UDP, payload },
      });
      // An encapsulated SA refuses plain ESP.
      const plain = buildIpPacket({
        src: outer.src,
        dst: outer.dst,
        proto: IPPROTO_ESP,
        payload: dgram.data,
      });
      expect(B.datapath.input(plain)).toMatchObject({ kind: 'drop', reason: 'encap-mismatch' });
      // A NAT keepalive is consumed; IKE (non-ESP marker) goes up as UDP.
      const ka = buildIpPacket({
        src: outer.src,
        dst: outer.dst,
        proto: 17,
        payload: buildUdp(outer.src, outer.dst, 4500, 4500, Uint8Array.of(0xff)),
      });
      expect(B.datapath.input(ka)).toMatchObject({ kind: 'drop', reason: 'natt-keepalive' });
      const ike = buildUdp(outer.src, outer.dst, 4500, 4500, new Uint8Array(40));
      expect(
        B.datapath.input(buildIpPacket({ src: outer.src, dst: outer.dst, proto: 17, payload: ike })),
      ).toMatchObject({
        kind: 'deliver',
        packet: { proto: 17, payload: ike },
      });
    }
  });

  it('ESN: 64-bit sequence numbers across the 2^32 boundary', () => {
    for (const suite of [SUITES[0]!, SUITES[4]!]) {
      const { A, B, out } = pair({ suite, mode: 'transport', a: '2001:db8::a', b: '2001:db8::b', esn: true });
      const sa = A.sad.get(out)!;
      const rx = B.sad.get(out)!;
      sa.oseqLo = 0xfffffffe;
      rx.replay.accept(0, 0xfffffffd);
      for (let i = 0; i < 3; i++) {
        const r = A.datapath.output({
          src: '2001:db8::a',
          dst: '2001:db8::b',
          proto: 17,
          payload: udp('2001:db8::a', '2001:db8::b'),
        });
        if (r.kind !== 'send') throw new Error(r.kind);
        expect(B.datapath.input(r.bytes).kind).toBe('deliver');
      }
      expect([sa.oseqHi, sa.oseqLo]).toEqual([1, 1]);
      expect(rx.replay.top).toEqual({ hi: 1, lo: 1 });
    }
  });
});

describe('ESP on every crypto engine', () => {
  const engines: readonly CryptoProvider[] = [
    new NativeCryptoProvider(), // the OpenSSL addon where it is built
    new NativeCryptoProvider({ engine: 'node:crypto' }),
    new PortableCryptoProvider(),
  ];
  const shape = {
    mode: 'tunnel',
    a: '2001:db8:1::a',
    b: '2001:db8:2::b',
    ta: '2001:db8::1',
    tb: '2001:db8::2',
  } as const;

  it('AEAD suites: every engine sends the same bytes, and each reads the others (tunnel, ESN)', () => {
    for (const suite of SUITES.filter((x) => /gcm|chacha/.test(x.name))) {
      const pairs = engines.map((e, i) =>
        pair({ suite, ...shape, esn: true, crypto: [e, engines[(i + 1) % 3]!] }),
      );
      for (let n = 0; n < 3; n++) {
        const payload = udp(shape.a, shape.b, new Uint8Array(200 + n).fill(n));
        const sent = pairs.map(({ A }) =>
          A.datapath.output({ src: shape.a, dst: shape.b, proto: 17, payload }),
        );
        const bytes = sent.map((r) => (r.kind === 'send' ? Buffer.from(r.bytes).toString('hex') : r.kind));
        expect(new Set(bytes).size, suite.name).toBe(1);
        pairs.forEach(({ B }, i) => {
          const r = sent[i]!;
          if (r.kind !== 'send') throw new Error(r.kind);
          const got = B.datapath.input(r.bytes);
          expect(got.kind === 'deliver' && Buffer.from(got.packet.payload).equals(Buffer.from(payload))).toBe(
            true,
          );
        });
      }
    }
  });

  it("input never writes into the caller's bytes, delivered or dropped (captures hold them)", () => {
    for (const suite of [SUITES[0]!, SUITES[2]!, SUITES[3]!]) {
      const { A, B } = pair({ suite, ...shape });
      const r = A.datapath.output({ src: shape.a, dst: shape.b, proto: 17, payload: udp(shape.a, shape.b) });
      if (r.kind !== 'send') throw new Error(r.kind);
      const bad = Uint8Array.from(r.bytes);
      bad[bad.length - 1]! ^= 1;
      const copies = [Uint8Array.from(r.bytes), Uint8Array.from(bad)];
      expect(B.datapath.input(bad).kind).toBe('drop');
      expect(B.datapath.input(r.bytes).kind).toBe('deliver');
      expect([r.bytes, bad]).toEqual(copies);
    }
  });
});

describe('inbound drops', () => {
  const shape = { mode: 'transport' as const, a: '2001:db8::a', b: '2001:db8::b' };

  it('a tampered packet is dropped for its ICV and changes nothing', () => {
    for (const suite of [SUITES[0]!, SUITES[2]!, SUITES[3]!, SUITES[8]!]) {
      const { A, B, out } = pair({ suite, ...shape });
      const r = A.datapath.output({ src: shape.a, dst: shape.b, proto: 17, payload: udp(shape.a, shape.b) });
      if (r.kind !== 'send') throw new Error(r.kind);
      const before = B.snapshot();
      const bad = r.bytes.slice();
      bad[bad.length - 20]! ^= 1;
      expect(B.datapath.input(bad)).toEqual({ kind: 'drop', reason: 'bad-icv', code: 'EBADMSG' });
      expect(B.snapshot()).toEqual(before);
      expect(B.datapath.input(r.bytes).kind).toBe('deliver');
      expect(B.datapath.stats().drops['bad-icv']).toBe(1);
      expect(B.sad.get(out)!.packets).toBe(1);
    }
  });

  it('a replayed packet is dropped and changes nothing; one left of the window too', () => {
    const { A, B } = pair({ suite: SUITES[0]!, ...shape, replay: 32 });
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) {
      const r = A.datapath.output({ src: shape.a, dst: shape.b, proto: 17, payload: udp(shape.a, shape.b) });
      if (r.kind === 'send') sent.push(r.bytes);
    }
    expect(B.datapath.input(sent[39]!).kind).toBe('deliver');
    const before = B.snapshot();
    expect(B.datapath.input(sent[39]!)).toEqual({ kind: 'drop', reason: 'replay', code: 'EINVAL' });
    expect(B.datapath.input(sent[7]!)).toEqual({ kind: 'drop', reason: 'replay-old', code: 'EINVAL' });
    expect(B.snapshot()).toEqual(before);
    expect(B.datapath.input(sent[8]!).kind).toBe('deliver');
    expect(B.datapath.stats().drops).toEqual({ replay: 1, 'replay-old': 1 });
  });

  it('unknown SPI, malformed bytes, unprotected packets for a protect policy', () => {
    const { A, B } = pair({ suite: SUITES[0]!, ...shape });
    const r = A.datapath.output({ src: shape.a, dst: shape.b, proto: 17, payload: udp(shape.a, shape.b) });
    if (r.kind !== 'send') throw new Error(r.kind);
    const other = r.bytes.slice();
    other[43] = 0x99;
    expect(B.datapath.input(other)).toMatchObject({ kind: 'drop', reason: 'no-sa', code: 'ESRCH' });
    expect(B.datapath.input(new Uint8Array([0x60, 0, 0]))).toMatchObject({
      kind: 'drop',
      reason: 'malformed',
      code: 'EINVAL',
    });
    const clear = buildIpPacket({ src: shape.a, dst: shape.b, proto: 17, payload: udp(shape.a, shape.b) });
    expect(B.datapath.input(clear)).toMatchObject({
      kind: 'drop',
      reason: 'policy-unprotected',
      code: 'EPERM',
    });
  });

  it('an SA whose inner packet does not fit the inbound policy is refused', () => {
    // B's inbound policy asks for reqid 7 through a's tunnel; a packet through another SA does not satisfy it.
    const { A, B } = pair({
      suite: SUITES[0]!,
      mode: 'tunnel',
      a: '2001:db8:1::a',
      b: '2001:db8:2::b',
      ta: '2001:db8::1',
      tb: '2001:db8::2',
    });
    const s = B.openSocket();
    send(
      s,
      addSa({ spi: 0x3003, src: '2001:db8::1', dst: '2001:db8::2', mode: IPSEC_MODE_TUNNEL, reqid: 9 }),
    );
    const a = A.openSocket();
    A.spd.delete({ selector: A.spd.dump()[0]!.selector, dir: 'out' });
    send(
      a,
      addSa({ spi: 0x3003, src: '2001:db8::1', dst: '2001:db8::2', mode: IPSEC_MODE_TUNNEL, reqid: 9 }),
    );
    send(
      a,
      spdAdd({
        selector: { src: '2001:db8:1::a', dst: '2001:db8:2::b', proto: 6 },
        dir: IPSEC_DIR_OUTBOUND,
        priority: 0,
        templates: [
          { proto: IPPROTO_ESP, mode: IPSEC_MODE_TUNNEL, reqid: 9, src: '2001:db8::1', dst: '2001:db8::2' },
        ],
      }),
    );
    const r = A.datapath.output({
      src: '2001:db8:1::a',
      dst: '2001:db8:2::b',
      proto: 6,
      payload: new Uint8Array(20),
    });
    if (r.kind !== 'send') throw new Error(r.kind);
    expect(B.datapath.input(r.bytes)).toMatchObject({
      kind: 'drop',
      reason: 'policy-mismatch',
      code: 'EPERM',
    });
  });
});

describe('outbound', () => {
  it('discard and bypass policies; no policy means bypass (Linux default)', () => {
    const { kernel } = newKernel();
    const s = kernel.openSocket();
    send(
      s,
      spdAdd({
        selector: { src: '2001:db8::a', dst: '2001:db8::b' },
        dir: IPSEC_DIR_OUTBOUND,
        policyType: IPSEC_POLICY_DISCARD,
      }),
    );
    expect(
      kernel.datapath.output({
        src: '2001:db8::a',
        dst: '2001:db8::b',
        proto: 17,
        payload: new Uint8Array(8),
      }),
    ).toEqual({ kind: 'discard', reason: 'policy' });
    const free = kernel.datapath.output({
      src: '2001:db8::a',
      dst: '2001:db8::c',
      proto: 17,
      payload: new Uint8Array(8),
    });
    expect(free.kind).toBe('bypass');
    const bypass = kernel.datapath.output({
      src: '2001:db8::a',
      dst: '2001:db8::b',
      proto: 17,
      payload: new Uint8Array(8),
      bypass: true,
    });
    expect(bypass.kind).toBe('bypass');
    expect(kernel.datapath.stats().discards).toEqual({ policy: 1 });
  });

  it('sequence number overflow refuses the packet (RFC 4303 3.3.3)', () => {
    const { A, out } = pair({ suite: SUITES[0]!, mode: 'transport', a: '192.0.2.1', b: '192.0.2.2' });
    A.sad.get(out)!.oseqLo = 0xffffffff;
    expect(
      A.datapath.output({ src: '192.0.2.1', dst: '192.0.2.2', proto: 17, payload: new Uint8Array(8) }),
    ).toEqual({
      kind: 'discard',
      reason: 'seq-overflow',
    });
  });
});

describe('Mobile IPv6: lookups by home address (RFC 3776 4.4)', () => {
  const HOA = '2001:db8:aaaa::100';
  const HA = '2001:db8:aaaa::1';
  const COA = '2001:db8:cccc::5';
  const bu = Uint8Array.of(59, 1, 5, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0);
  const ba = Uint8Array.of(59, 1, 6, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0);

  function mnHa() {
    const { A: MN, B: HAk } = pair({ suite: SUITES[4]!, mode: 'transport', a: HOA, b: HA });
    MN.datapath.setLocalAddresses([HOA, COA]);
    HAk.datapath.setLocalAddresses([HA]);
    return { MN, HAk };
  }

  it('a BU from the care-of address with a Home Address option uses the HoA SAs', () => {
    const { MN, HAk } = mnHa();
    const r = MN.datapath.output({
      src: COA,
      dst: HA,
      proto: IPPROTO_MH,
      payload: bu,
      homeAddressOption: HOA,
    });
    if (r.kind !== 'send') throw new Error(r.kind);
    const p = parseIpPacket(r.bytes);
    expect([p.src, p.homeAddressOption, p.proto]).toEqual([COA, HOA, IPPROTO_ESP]);
    expect(HAk.datapath.input(r.bytes)).toMatchObject({
      kind: 'deliver',
      packet: {
        src: COA,
        dst: HA,
        homeAddressOption: HOA,
        proto: IPPROTO_MH,
        payload: bu,
        sa: { src: HOA, dst: HA },
      },
    });
  });

  it('a BA to the care-of address with a type 2 routing header uses the HoA SAs', () => {
    const { MN, HAk } = mnHa();
    const r = HAk.datapath.output({ src: HA, dst: COA, proto: IPPROTO_MH, payload: ba, routingHeader2: HOA });
    if (r.kind !== 'send') throw new Error(r.kind);
    const p = parseIpPacket(r.bytes);
    expect([p.dst, p.routingHeader2, p.proto]).toEqual([COA, HOA, IPPROTO_ESP]);
    expect(MN.datapath.input(r.bytes)).toMatchObject({
      kind: 'deliver',
      packet: {
        src: HA,
        dst: COA,
        routingHeader2: HOA,
        proto: IPPROTO_MH,
        payload: ba,
        sa: { src: HA, dst: HOA },
      },
    });
  });

  it('without the option the packet from the care-of address finds no policy and goes out in the clear', () => {
    const { MN } = mnHa();
    expect(MN.datapath.output({ src: COA, dst: HA, proto: IPPROTO_MH, payload: bu }).kind).toBe('bypass');
  });

  it('a tunnel packet for another host is forwarded after the fwd policy check', () => {
    const { A, B } = pair({
      suite: SUITES[0]!,
      mode: 'tunnel',
      a: HOA,
      b: '2001:db8:eeee::/48',
      ta: COA,
      tb: HA,
    });
    B.datapath.setLocalAddresses([HA]);
    const s = B.openSocket();
    send(
      s,
      spdAdd({
        selector: { src: HOA, dst: '2001:db8:eeee::/48' },
        dir: IPSEC_DIR_FWD,
        templates: [{ proto: IPPROTO_ESP, mode: IPSEC_MODE_TUNNEL, reqid: 7, src: COA, dst: HA }],
      }),
    );
    const payload = udp(HOA, '2001:db8:eeee::9');
    const r = A.datapath.output({ src: HOA, dst: '2001:db8:eeee::9', proto: 17, payload });
    if (r.kind !== 'send') throw new Error(r.kind);
    const f = B.datapath.input(r.bytes);
    expect(f.kind).toBe('forward');
    if (f.kind === 'forward')
      expect(parseIpPacket(f.bytes)).toMatchObject({ src: HOA, dst: '2001:db8:eeee::9', proto: 17 });
  });
});
