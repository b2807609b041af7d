/**
 * Wireshark as an independent ESP implementation: packets the datapath sends are written to a pcap and
 * decrypted by tshark from an esp_sa table, which must show the inner protocol and, for the HMAC suites,
 * a good ICV. (tshark 4.0 knows neither ChaCha20-Poly1305 nor AES-XCBC in ESP, so those two suites are
 * checked by the two-kernel round trip only.)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EncAlgorithm, type IntegAlgorithm, VirtualClock } from '@mip6sec/core';
import { afterAll, describe, expect, it } from 'vitest';
import { buildUdp } from './ip-packet.js';
import { PfkeyKernel } from './pfkey-kernel.js';
import { newSaRecord } from './sad.js';

const TSHARK = '/usr/bin/tshark';
const present = existsSync(TSHARK);
if (!present && process.env.CI === 'true') throw new Error(`${TSHARK} is required under CI=true`);

const ENC_NAME: Partial<Record<EncAlgorithm, string>> = {
  'aes-gcm-16': 'AES-GCM with 16 octet ICV [RFC4106]',
  'aes-cbc': 'AES-CBC [RFC3602]',
  null: 'NULL',
};
const AUTH_NAME: Partial<Record<IntegAlgorithm, string>> = {
  none: 'NULL',
  'hmac-sha1-96': 'HMAC-SHA-1-96 [RFC2404]',
  'hmac-sha2-256-128': 'HMAC-SHA-256-128 [RFC4868]',
  'hmac-sha2-384-192': 'HMAC-SHA-384-192 [RFC4868]',
  'hmac-sha2-512-256': 'HMAC-SHA-512-256 [RFC4868]',
};

interface Case {
  enc: EncAlgorithm;
  encKey: number;
  integ: IntegAlgorithm;
  integKey: number;
  mode: 'transport' | 'tunnel';
  v4: boolean;
  encap: boolean;
}

const CASES: Case[] = [
  { enc: 'aes-gcm-16', encKey: 20, integ: 'none', integKey: 0, mode: 'transport', v4: false, encap: false },
  { enc: 'aes-gcm-16', encKey: 36, integ: 'none', integKey: 0, mode: 'tunnel', v4: false, encap: false },
  { enc: 'aes-gcm-16', encKey: 20, integ: 'none', integKey: 0, mode: 'tunnel', v4: true, encap: true },
  {
    enc: 'aes-cbc',
    encKey: 16,
    integ: 'hmac-sha1-96',
    integKey: 20,
    mode: 'transport',
    v4: true,
    encap: false,
  },
  {
    enc: 'aes-cbc',
    encKey: 32,
    integ: 'hmac-sha2-256-128',
    integKey: 32,
    mode: 'tunnel',
    v4: false,
    encap: false,
  },
  {
    enc: 'aes-cbc',
    encKey: 24,
    integ: 'hmac-sha2-384-192',
    integKey: 48,
    mode: 'transport',
    v4: false,
    encap: true,
  },
  {
    enc: 'aes-cbc',
    encKey: 16,
    integ: 'hmac-sha2-512-256',
    integKey: 64,
    mode: 'tunnel',
    v4: true,
    encap: false,
  },
  {
    enc: 'null',
    encKey: 0,
    integ: 'hmac-sha2-256-128',
    integKey: 32,
    mode: 'transport',
    v4: false,
    encap: false,
  },
];

function pcap(packets: readonly Uint8Array[]): Buffer {
  // Classic pcap, LINKTYPE_RAW (101): each record is an IPv4 or IPv6 packet.
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(101, 20);
  const records = packets.map((p, i) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(i, 0);
    r.writeUInt32LE(p.length, 8);
    r.writeUInt32LE(p.length, 12);
    return Buffer.concat([r, Buffer.from(p)]);
  });
  return Buffer.concat([head, ...records]);
}

const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;

describe.skipIf(!present)('ESP that tshark decrypts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kernel-sim-pcap-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`${CASES.length} suites, transport and tunnel, IPv6 and IPv4, plain and UDP-encapsulated`, () => {
    const packets: Uint8Array[] = [];
    const uat: string[] = [];
    CASES.forEach((c, i) => {
      const kernel = new PfkeyKernel({ clock: new VirtualClock() });
      const [a, b] = c.v4 ? ['192.0.2.1', '192.0.2.2'] : ['2001:db8::a', '2001:db8::b'];
      const [ta, tb] =
        c.mode === 'tunnel'
          ? c.v4
            ? ['198.51.100.1', '198.51.100.2']
            : ['2001:db8:f::1', '2001:db8:f::2']
          : [a, b];
      const spi = 0x1000 + i;
      const encKey = Uint8Array.from({ length: c.encKey }, (_, j) => (j * 13 + i) & 0xff);
      const integKey = Uint8Array.from({ length: c.integKey }, (_, j) => (j * 31 + i) & 0xff);
      kernel.spd.add(
        {
          selector: {
            src: { addr: a, len: c.v4 ? 32 : 128 },
            dst: { addr: b, len: c.v4 ? 32 : 128 },
            proto: 255,
            srcPort: 0,
            dstPort: 0,
          },
          dir: 'out',
        },
        {
          action: 'protect',
          priority: 0,
          templates: [
            {
              proto: 'esp',
              mode: c.mode,
              level: 'require',
              reqid: 0,
              ...(c.mode === 'tunnel' ? { src: ta, dst: tb } : {}),
            },
          ],
        },
        false,
      );
      kernel.sad.insert(
        newSaRecord(
          { src: ta, dst: tb, spi, proto: 'esp' },
          {
            mode: c.mode,
            reqid: 0,
            enc: { alg: c.enc, key: encKey },
            ...(c.integ !== 'none' ? { integ: { alg: c.integ, key: integKey } } : {}),
            replayWindow: 32,
            ...(c.encap ? { encap: { sport: 4500, dport: 4500 } } : {}),
          },
          0,
        ),
      );
      for (let n = 0; n < 2; n++) {
        const r = kernel.datapath.output({
          src: a,
          dst: b,
          proto: 17,
          payload: buildUdp(a, b, 40000 + i, 7000 + i, new TextEncoder().encode(`case ${i} packet ${n}`)),
        });
        if (r.kind !== 'send') throw new Error(`case ${i}: ${r.kind}`);
        packets.push(r.bytes);
      }
      uat.push(
        [
          c.v4 ? 'IPv4' : 'IPv6',
          ta,
          tb,
          `0x${spi.toString(16).padStart(8, '0')}`,
          ENC_NAME[c.enc]!,
          c.encKey ? hex(encKey) : '',
          AUTH_NAME[c.integ]!,
          c.integKey ? hex(integKey) : '',
        ]
          .map((f) => JSON.stringify(f))
          .join(','),
      );
    });
    const file = join(dir, 'esp.pcap');
    writeFileSync(file, pcap(packets));
    const out = execFileSync(
      TSHARK,
      [
        '-r',
        file,
        '-o',
        'esp.enable_encryption_decode:TRUE',
        '-o',
        'esp.enable_authentication_check:TRUE',
        ...uat.flatMap((u) => ['-o', `uat:esp_sa:${u}`]),
        '-T',
        'fields',
        '-E',
        'separator=|',
        '-e',
        'frame.number',
        '-e',
        'esp.spi',
        '-e',
        'esp.protocol',
        '-e',
        'esp.icv_good',
        '-e',
        'udp.srcport',
        '-e',
        'udp.dstport',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const rows = out
      .trim()
      .split('\n')
      .map((l) => l.split('|'));
    expect(rows.length).toBe(packets.length);
    rows.forEach((row, k) => {
      const i = Math.floor(k / 2);
      const c = CASES[i]!;
      const [, spi, proto, good, sports, dports] = row;
      expect(Number.parseInt(spi!, 16), `frame ${k + 1} SPI`).toBe(0x1000 + i);
      // The inner protocol as tshark decrypted it: UDP in transport mode, IPv6/IPv4 in tunnel mode.
      expect(Number(proto), `frame ${k + 1} inner protocol`).toBe(c.mode === 'tunnel' ? (c.v4 ? 4 : 41) : 17);
      expect(sports!.split(',')).toContain(String(40000 + i));
      expect(dports!.split(',')).toContain(String(7000 + i));
      if (c.integ !== 'none') expect(good, `frame ${k + 1} ICV`).toBe('1');
    });
  });
});

if (!present) {
  describe('ESP that tshark decrypts', () => {
    it.skip(`skipped: ${TSHARK} is not installed (set CI=true to make this a failure)`, () => {});
  });
}
