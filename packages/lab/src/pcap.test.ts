/**
 * Wireshark reads the lab's capture: tshark recognises IKE (UDP 500/4500), the Mobility Header
 * and ESP on the first MN's link, and with the key tables the comparison writes it decrypts ESP
 * (the BU/BA inside the transport SA, the payload inside the tunnel) and IKE's encrypted payloads.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runComparison } from './compare.js';
import { TRAFFIC_PORT } from './traffic.js';

const TSHARK = '/usr/bin/tshark';
const present = existsSync(TSHARK);
if (!present && process.env.CI === 'true') throw new Error(`${TSHARK} is required under CI=true`);

/** tshark's -o options for every line of the two UAT files. */
function keyOptions(espFile: string, ikeFile: string): string[] {
  const lines = (f: string) => readFileSync(f, 'utf8').split('\n').filter(Boolean);
  return [
    '-o',
    'esp.enable_encryption_decode:TRUE',
    ...lines(espFile).flatMap((l) => ['-o', `uat:esp_sa:${l}`]),
    ...lines(ikeFile).flatMap((l) => ['-o', `uat:ikev2_decryption_table:${l}`]),
  ];
}

const FIELDS = [
  'frame.number',
  '_ws.col.Protocol',
  'esp.spi',
  'esp.protocol',
  'mip6.mhtype',
  'udp.dstport',
  'isakmp.id.data.user_fqdn',
];

function dissect(file: string, opts: string[] = []): string[][] {
  const out = execFileSync(
    TSHARK,
    ['-r', file, ...opts, '-T', 'fields', '-E', 'separator=|', ...FIELDS.flatMap((f) => ['-e', f])],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return out
    .trim()
    .split('\n')
    .map((l) => l.split('|'));
}

describe.skipIf(!present)('the capture in tshark', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-pcap-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has IKE, MH and ESP, and decrypts with the written keys', async () => {
    const file = join(dir, 'run.pcap');
    const r = await runComparison({
      strategies: ['migrate', 'renegotiate'],
      handovers: 3,
      loss: 0,
      seed: 4,
      pcap: file,
      keys: true,
    });
    for (const s of ['migrate', 'renegotiate']) {
      const pcap = join(dir, `run.${s}.pcap`);
      const esp = join(dir, `run.${s}.esp_sa`);
      const ike = join(dir, `run.${s}.ikev2_decryption_table`);
      expect(r.files).toEqual(expect.arrayContaining([pcap, esp, ike]));

      // Without keys: IKE in the clear, ESP opaque (the BU and BA travel inside ESP).
      const plain = dissect(pcap);
      const protocols = new Set(plain.map((row) => row[1]));
      expect(protocols).toContain('ISAKMP');
      expect(protocols).toContain('ESP');
      expect(plain.some((row) => row[4] !== '')).toBe(false);

      // With them: every ESP frame opens, BU (5) and BA (6) appear, the payload is UDP to port 9000,
      // and IKE_AUTH shows the identities it carried encrypted.
      const rows = dissect(pcap, keyOptions(esp, ike));
      const espRows = rows.filter((row) => row[2] !== '');
      expect(espRows.length).toBeGreaterThan(50);
      for (const row of espRows) expect(row[3], `frame ${row[0]} decrypted`).not.toBe('');
      const mh = new Set(rows.flatMap((row) => (row[4] ? row[4].split(',') : [])));
      expect(mh).toContain('5');
      expect(mh).toContain('6');
      expect(rows.filter((row) => row[5]?.split(',').includes(String(TRAFFIC_PORT))).length).toBeGreaterThan(
        50,
      );
      expect(rows.some((row) => row[6] === 'mn1@mip6sec.example')).toBe(true);
      const bus = rows.filter((row) => row[4]?.split(',').includes('5')).length;
      // Bootstrap and one per handover at least.
      expect(bus).toBeGreaterThanOrEqual(4);
    }
  });
});

if (!present) {
  describe('the capture in tshark', () => {
    it.skip(`skipped: ${TSHARK} is not installed (set CI=true to make this a failure)`, () => {});
  });
}
