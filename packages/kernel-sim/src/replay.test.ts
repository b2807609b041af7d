import {
  buildMigrate,
  encode,
  IPPROTO_ESP,
  IPSEC_DIR_OUTBOUND,
  IPSEC_MODE_TUNNEL,
  toHex,
} from '@mip6sec/pfkey-codec';
import { describe, expect, it } from 'vitest';
import { addSa, COA1, COA2, HA, HOA, tunnelPolicy } from './kit.test-util.js';
import { runReplay } from './replay.js';

const hex = (m: Parameters<typeof encode>[0]) => toHex(encode(m));

async function run(lines: string[]) {
  const out: Record<string, unknown>[] = [];
  await runReplay(lines, (o) => out.push(o));
  return out;
}

describe('runReplay (mip6sec kernel replay)', () => {
  it('two sockets, SPDADD, a packet that raises ACQUIRE, an SA, ESP out, expiry, MIGRATE and a dump', async () => {
    const out = await run([
      '# the IKE daemon registers; mip6d only writes',
      `send ike ${hex({ type: 7, satype: 3, seq: 1, pid: 500 })}`,
      '',
      `send mip6d ${hex({ ...tunnelPolicy(COA1, 0x42), seq: 1, pid: 600 })}`,
      `packet out ${HOA} 2001:db8:77::2 udp 1000 2000`,
      `packet out ${HOA} 2001:db8:77::2 17 1000 2000`,
      `send ike ${hex(addSa({ spi: 0x100, src: COA1, dst: HA, mode: IPSEC_MODE_TUNNEL, reqid: 0x42, soft: { addtime: 10n }, hard: { addtime: 20n } }))}`,
      `packet out ${HOA} 2001:db8:77::2 udp 1000 2000`,
      'advance 10',
      `send mip6d ${hex(buildMigrate({ selector: { src: HOA, dst: '::/0' }, dir: IPSEC_DIR_OUTBOUND, kmaddress: { local: COA2, remote: HA }, bundles: [{ proto: IPPROTO_ESP, mode: IPSEC_MODE_TUNNEL, reqid: 0x42, old: { src: COA1, dst: HA }, new: { src: COA2, dst: HA } }] }))}`,
      `send mip6d ${hex(buildMigrate({ selector: { src: HOA, dst: '::/0' }, dir: IPSEC_DIR_OUTBOUND, bundles: [{ proto: IPPROTO_ESP, mode: IPSEC_MODE_TUNNEL, reqid: 0x42, old: { src: COA1, dst: HA }, new: { src: COA2, dst: HA } }] }))}`,
      'dump',
      'advance 10',
      'frobnicate',
      'send ike zz',
      'packet out 1.2.3 ::1 udp',
      `send ike ${hex({ type: 7, satype: 3 }).slice(0, 16)}`,
    ]);
    expect(out.map((o) => o.line)).toEqual([2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
    const [reg, spdadd, acq1, acq2, add, esp, soft, mig, mig2, dump, hard, bad1, bad2, bad3, short] = out;
    expect(reg).toMatchObject({
      cmd: 'send',
      socket: 'ike',
      errno: 0,
      delivered: [{ socket: 'ike', message: { type: 'REGISTER' } }],
    });
    expect((spdadd!.delivered as unknown[]).length).toBe(2);
    expect(acq1).toMatchObject({
      cmd: 'packet out',
      result: 'acquire',
      delivered: [{ socket: 'ike', message: { type: 'ACQUIRE' } }],
    });
    expect(acq2).toMatchObject({ result: 'acquire', delivered: [] });
    expect(add).toMatchObject({
      errno: 0,
      delivered: [
        { socket: 'ike', message: { type: 'ADD' } },
        { socket: 'mip6d', message: { type: 'ADD' } },
      ],
    });
    expect(esp).toMatchObject({ result: 'send' });
    expect(esp!.bytes).toMatch(/^6/);
    expect(soft).toMatchObject({
      cmd: 'advance',
      delivered: [{ socket: 'ike', message: { type: 'EXPIRE' } }],
    });
    expect(mig).toMatchObject({
      errno: 0,
      delivered: [
        { socket: 'ike', message: { type: 'X_MIGRATE' } },
        { socket: 'mip6d', message: { type: 'X_MIGRATE' } },
      ],
    });
    expect(mig2).toMatchObject({
      errno: 'ENODATA',
      delivered: [{ socket: 'mip6d', message: { type: 'X_MIGRATE', errno: 'ENODATA' } }],
    });
    expect(dump).toMatchObject({
      cmd: 'dump',
      spd: [{ dir: 'out', templates: [{ src: COA2, dst: HA }] }],
      sad: [{ src: COA2, state: 'dying', spi: '0x00000100' }],
    });
    expect(hard).toMatchObject({ delivered: [{ socket: 'ike', message: { type: 'EXPIRE' } }] });
    expect(bad1).toEqual({ line: 14, error: 'unknown command "frobnicate"' });
    expect(bad2).toMatchObject({ line: 15, error: '"zz" is not hex' });
    expect(bad3).toMatchObject({ line: 16 });
    expect(short).toMatchObject({ line: 17, errno: 'EMSGSIZE', delivered: [] });
  });

  it('packet in: an ESP packet the kernel has no SA for is dropped with its reason', async () => {
    const out = await run([
      `packet in 6000000000103240${'2001'.padEnd(32, '0')}${'2001'.padEnd(30, '0')}01${'0000010000000001'}${'00'.repeat(8)}`,
    ]);
    expect(out[0]).toMatchObject({ cmd: 'packet in', result: 'drop', reason: 'no-sa', code: 'ESRCH' });
  });

  it('reads an async line source', async () => {
    async function* lines() {
      yield 'dump';
    }
    const out: Record<string, unknown>[] = [];
    await runReplay(lines(), (o) => out.push(o));
    expect(out).toEqual([{ line: 1, cmd: 'dump', spd: [], sad: [] }]);
  });
});
