/**
 * Interop with an independent dissector: packets this package writes are saved in a pcap
 * (LINKTYPE_RAW, 101: each record is an IPv6 packet) and read back by tshark, whose Mobile IPv6
 * dissector must see the MH type, sequence number, flags, lifetime, status, options, the Home
 * Address option and the type 2 routing header we meant, with nothing malformed. Under CI=true a
 * missing tshark fails; elsewhere the suite is skipped with the reason.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeIpv6Packet, encodeIpv6Packet, mhPacket, mobilityMessageOf } from './ipv6-ext.js';
import type { MhMessage } from './mh-codec.js';

const HOA = '2001:db8::100';
const HA = '2001:db8::1';
const COA = '2001:db8:1::5';
const CN = '2001:db8:9::9';

/** A classic pcap file (microsecond timestamps, little-endian) holding raw IP packets. */
function pcap(packets: readonly Uint8Array[]): Uint8Array {
  const LINKTYPE_RAW = 101;
  const size = 24 + packets.reduce((n, p) => n + 16 + p.length, 0);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0xa1b2c3d4, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setUint32(16, 65535, true);
  v.setUint32(20, LINKTYPE_RAW, true);
  let p = 24;
  packets.forEach((pkt, i) => {
    v.setUint32(p, 1_700_000_000 + i, true);
    v.setUint32(p + 8, pkt.length, true);
    v.setUint32(p + 12, pkt.length, true);
    out.set(pkt, p + 16);
    p += 16 + pkt.length;
  });
  return out;
}

const FIELDS = [
  'mip6.mhtype',
  'mip6.bu.seqnr',
  'mip6.bu.a_flag',
  'mip6.bu.h_flag',
  'mip6.bu.l_flag',
  'mip6.bu.k_flag',
  'mip6.bu.lifetime',
  'mip6.ba.status',
  'mip6.ba.k_flag',
  'mip6.ba.seqnr',
  'mip6.ba.lifetime',
  'mip6.be.status',
  'mip6.be.haddr',
  'mip6.acoa.acoa',
  'mip6.bra.interval',
  'mip6.ni.hni',
  'mip6.ni.cni',
  'mip6.hot.nindex',
  'ipv6.opt.mipv6.home_address',
  'ipv6.routing.mipv6.home_address',
  'mip6.csum',
  '_ws.malformed',
] as const;
type Row = Record<(typeof FIELDS)[number], string>;

interface Sample {
  readonly name: string;
  readonly packet: {
    src: string;
    dst: string;
    homeAddressOption?: string;
    routingHeader2?: string;
    message: MhMessage;
  };
  readonly expect: Partial<Row>;
}

const SAMPLES: Sample[] = [
  {
    name: 'BU from the CoA: HAO, A/H/K, Alt-CoA',
    packet: {
      src: COA,
      dst: HA,
      homeAddressOption: HOA,
      message: {
        type: 'BU',
        seq: 4242,
        a: true,
        h: true,
        k: true,
        lifetime: 900,
        options: [{ type: 'alternateCareOfAddress', address: COA }],
      },
    },
    expect: {
      'mip6.mhtype': '5',
      'mip6.bu.seqnr': '4242',
      'mip6.bu.a_flag': '1',
      'mip6.bu.h_flag': '1',
      'mip6.bu.l_flag': '0',
      'mip6.bu.k_flag': '1',
      'mip6.bu.lifetime': '900',
      'mip6.acoa.acoa': COA,
      'ipv6.opt.mipv6.home_address': HOA,
    },
  },
  {
    name: 'BU deregistration with L and Nonce Indices',
    packet: {
      src: HOA,
      dst: HA,
      message: {
        type: 'BU',
        seq: 65535,
        a: true,
        h: true,
        l: true,
        lifetime: 0,
        options: [{ type: 'nonceIndices', homeNonceIndex: 3, careOfNonceIndex: 4 }],
      },
    },
    expect: {
      'mip6.mhtype': '5',
      'mip6.bu.seqnr': '65535',
      'mip6.bu.l_flag': '1',
      'mip6.bu.k_flag': '0',
      'mip6.bu.lifetime': '0',
      'mip6.ni.hni': '3',
      'mip6.ni.cni': '4',
    },
  },
  {
    name: 'BA to the CoA: RH2, K, Binding Refresh Advice',
    packet: {
      src: HA,
      dst: COA,
      routingHeader2: HOA,
      message: {
        type: 'BA',
        status: 0,
        k: true,
        seq: 4242,
        lifetime: 900,
        options: [{ type: 'bindingRefreshAdvice', refreshInterval: 600 }],
      },
    },
    expect: {
      'mip6.mhtype': '6',
      'mip6.ba.status': '0',
      'mip6.ba.k_flag': '1',
      'mip6.ba.seqnr': '4242',
      'mip6.ba.lifetime': '900',
      'mip6.bra.interval': '600',
      'ipv6.routing.mipv6.home_address': HOA,
    },
  },
  {
    name: 'BA status 135',
    packet: {
      src: HA,
      dst: COA,
      routingHeader2: HOA,
      message: { type: 'BA', status: 135, seq: 17, lifetime: 0 },
    },
    expect: { 'mip6.mhtype': '6', 'mip6.ba.status': '135', 'mip6.ba.k_flag': '0', 'mip6.ba.seqnr': '17' },
  },
  {
    name: 'BA status 129',
    packet: {
      src: HA,
      dst: COA,
      routingHeader2: HOA,
      message: { type: 'BA', status: 129, seq: 18, lifetime: 0 },
    },
    expect: { 'mip6.ba.status': '129', 'mip6.ba.seqnr': '18' },
  },
  {
    name: 'BE status 2',
    packet: { src: HA, dst: COA, message: { type: 'BE', status: 2, homeAddress: HOA } },
    expect: { 'mip6.mhtype': '7', 'mip6.be.status': '2', 'mip6.be.haddr': HOA },
  },
  { name: 'BRR', packet: { src: HA, dst: HOA, message: { type: 'BRR' } }, expect: { 'mip6.mhtype': '0' } },
  {
    name: 'HoTI',
    packet: { src: HOA, dst: CN, message: { type: 'HoTI', homeInitCookie: new Uint8Array(8).fill(1) } },
    expect: { 'mip6.mhtype': '1' },
  },
  {
    name: 'HoT',
    packet: {
      src: CN,
      dst: HOA,
      message: {
        type: 'HoT',
        homeNonceIndex: 77,
        homeInitCookie: new Uint8Array(8).fill(1),
        homeKeygenToken: new Uint8Array(8).fill(2),
      },
    },
    expect: { 'mip6.mhtype': '3', 'mip6.hot.nindex': '77' },
  },
];

function findTshark(): string | undefined {
  const r = spawnSync('tshark', ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 ? 'tshark' : undefined;
}

const tshark = findTshark();
const REASON = 'tshark not found (Debian: apt-get install tshark)';

if (!tshark && process.env.CI === 'true') {
  it('tshark interop needs tshark under CI', () => {
    throw new Error(REASON);
  });
}

describe.skipIf(!tshark)(
  `interop: tshark dissects our packets${tshark ? '' : ` (skipped: ${REASON})`}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'mip6-tshark-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'mip6.pcap');
    const bytes = SAMPLES.map((s) => encodeIpv6Packet(mhPacket(s.packet)));
    writeFileSync(file, pcap(bytes));
    const args = [
      '-r',
      file,
      '-T',
      'fields',
      '-E',
      'separator=|',
      '-E',
      'occurrence=f',
      ...FIELDS.flatMap((f) => ['-e', f]),
    ];
    const run = tshark ? spawnSync(tshark, args, { encoding: 'utf8', timeout: 120_000 }) : undefined;
    const rows: Row[] = (run?.stdout ?? '')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => Object.fromEntries(l.split('|').map((v, i) => [FIELDS[i]!, v])) as Row);

    it('tshark read every packet', () => {
      expect(run?.status).toBe(0);
      expect(rows).toHaveLength(SAMPLES.length);
    });

    SAMPLES.forEach((s, i) => {
      it(s.name, () => {
        const row = rows[i]!;
        expect(row).toMatchObject(s.expect);
        expect(row['_ws.malformed']).toBe('');
        // The checksum tshark shows is the one we computed (and decodeIpv6Packet verified).
        const ours = mobilityMessageOf(decodeIpv6Packet(bytes[i]!))!.checksum;
        expect(Number.parseInt(row['mip6.csum'], 16)).toBe(ours);
      });
    });
  },
);
