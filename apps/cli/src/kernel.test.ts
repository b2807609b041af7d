/**
 * `mip6sec kernel replay` run as a subprocess on a script whose PF_KEY messages are built with
 * @mip6sec/pfkey-codec: registration, policies and an SA, an outbound BU raising ACQUIRE to the registered
 * socket only, MIGRATEs refused with ENOENT and EINVAL and one accepted, lifetimes expiring as the clock
 * advances, and the SPD/SAD dumps in between.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildAdd,
  buildMigrate,
  buildSpdAdd,
  encode,
  IPPROTO_ESP,
  IPPROTO_MH,
  IPSEC_DIR_OUTBOUND,
  IPSEC_MODE_TRANSPORT,
  IPSEC_MODE_TUNNEL,
  type PfkeyMessageInit,
  SADB_REGISTER,
  SADB_SATYPE_ESP,
  SADB_X_AALG_SHA2_256HMAC,
  SADB_X_EALG_AESCBC,
  toHex,
} from '@mip6sec/pfkey-codec';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, expectInputError, jsonLines, shell } from './cli.test-util.js';

const HOA = '2001:db8::100';
const HA = '2001:db8::1';
const COA1 = '2001:db8:1::5';
const COA2 = '2001:db8:2::5';

const hex = (m: PfkeyMessageInit): string => toHex(encode(m));
const migrate = (src: string, newCoa: string): string =>
  hex(
    buildMigrate({
      selector: { src, dst: '::/0' },
      dir: IPSEC_DIR_OUTBOUND,
      kmaddress: { local: newCoa, remote: HA },
      bundles: [
        {
          proto: IPPROTO_ESP,
          mode: IPSEC_MODE_TUNNEL,
          reqid: 2,
          old: { src: COA1, dst: HA },
          new: { src: newCoa, dst: HA },
        },
      ],
      seq: 5,
      pid: 200,
    }),
  );

const SCRIPT = [
  '# the IKE daemon registers for ESP',
  `send ike ${hex({ type: SADB_REGISTER, satype: SADB_SATYPE_ESP, seq: 1, pid: 100 })}`,
  '# MH from the HoA to the HA in ESP transport mode; all traffic from the HoA in a tunnel from the CoA',
  `send mgr ${hex(
    buildSpdAdd({
      selector: { src: HOA, dst: HA, proto: IPPROTO_MH },
      dir: IPSEC_DIR_OUTBOUND,
      templates: [{ proto: IPPROTO_ESP, mode: IPSEC_MODE_TRANSPORT, reqid: 1 }],
      seq: 2,
      pid: 200,
    }),
  )}`,
  `send mgr ${hex(
    buildSpdAdd({
      selector: { src: HOA, dst: '::/0' },
      dir: IPSEC_DIR_OUTBOUND,
      templates: [{ proto: IPPROTO_ESP, mode: IPSEC_MODE_TUNNEL, reqid: 2, src: COA1, dst: HA }],
      seq: 3,
      pid: 200,
    }),
  )}`,
  `send mgr ${hex(
    buildAdd({
      satype: SADB_SATYPE_ESP,
      spi: 0x1000,
      src: COA1,
      dst: HA,
      mode: IPSEC_MODE_TUNNEL,
      reqid: 2,
      encrypt: { alg: SADB_X_EALG_AESCBC, key: new Uint8Array(16).fill(7) },
      auth: { alg: SADB_X_AALG_SHA2_256HMAC, key: new Uint8Array(32).fill(9) },
      soft: { addtime: 10n },
      hard: { addtime: 20n },
      seq: 4,
      pid: 200,
    }),
  )}`,
  '',
  '# a BU finds no transport SA: ACQUIRE',
  `packet out ${HOA} ${HA} mh 5`,
  `send mgr ${migrate('2001:db8::999', COA2)}`, // no such policy
  `send mgr ${migrate(HOA, '::')}`, // all-zero new address
  `send mgr ${migrate(HOA, COA2)}`,
  'dump',
  'advance 15',
  'advance 10',
  'dump',
  'packet sideways',
].join('\n');

type Delivered = {
  socket: string;
  message: Record<string, unknown> & { extensions: Record<string, unknown>[] };
};
type Out = Record<string, unknown> & { delivered?: Delivered[] };

let out: Out[];
let byLine: Map<number, Out>;
beforeAll(() => {
  const r = cli(['kernel', 'replay'], SCRIPT);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  out = jsonLines(r.stdout) as Out[];
  byLine = new Map(out.map((o) => [o.line as number, o]));
});

const lineOf = (prefix: string, nth = 0): number => {
  const lines = SCRIPT.split('\n');
  const found = lines.flatMap((l, i) => (l.startsWith(prefix) ? [i + 1] : []));
  const n = found[nth];
  if (n === undefined) throw new Error(`no line ${prefix} #${nth}`);
  return n;
};
const at = (prefix: string, nth = 0): Out => {
  const o = byLine.get(lineOf(prefix, nth));
  if (!o) throw new Error(`no output for ${prefix} #${nth}`);
  return o;
};
const types = (o: Out): string[] => (o.delivered ?? []).map((d) => `${d.socket}:${String(d.message.type)}`);

describe('kernel replay', () => {
  it('prints one JSON object per command, numbered by script line, skipping comments and blanks', () => {
    const commands = SCRIPT.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    expect(out).toHaveLength(commands.length);
    expect(out.map((o) => o.line)).toEqual(
      SCRIPT.split('\n').flatMap((l, i) => (l.trim() !== '' && !l.startsWith('#') ? [i + 1] : [])),
    );
  });

  it('REGISTER is answered with the supported algorithms; SPDADD and ADD are broadcast', () => {
    const reg = at('send ike');
    expect(reg).toMatchObject({ cmd: 'send', socket: 'ike', errno: 0 });
    expect(types(reg)).toEqual(['ike:REGISTER']);
    const supported = reg.delivered?.[0]?.message.extensions.map((e) => e.type);
    expect(supported).toEqual(['SUPPORTED_AUTH', 'SUPPORTED_ENCRYPT']);
    expect(types(at('send mgr', 0))).toEqual(['ike:X_SPDADD', 'mgr:X_SPDADD']);
    expect(types(at('send mgr', 2))).toEqual(['ike:ADD', 'mgr:ADD']);
  });

  it('an outbound BU with no SA raises ACQUIRE, sent to the registered socket only', () => {
    const pkt = at('packet out');
    expect(pkt).toMatchObject({ cmd: 'packet out', result: 'acquire' });
    expect(types(pkt)).toEqual(['ike:ACQUIRE']);
    const acquire = pkt.delivered?.[0]?.message;
    expect(acquire).toMatchObject({ satype: 'ESP', errno: 0 });
    expect(acquire?.extensions).toContainEqual(
      expect.objectContaining({ type: 'ADDRESS_SRC', address: HOA }),
    );
    expect(acquire?.extensions).toContainEqual(expect.objectContaining({ type: 'ADDRESS_DST', address: HA }));
  });

  it('bad MIGRATEs get ENOENT and EINVAL replies on the sender only, a good one is broadcast', () => {
    // The write itself succeeds (as send() does on Linux); errno is that of the error reply.
    const enoent = at('send mgr', 3);
    expect(enoent.errno).toBe('ENOENT');
    expect(enoent.delivered).toEqual([
      {
        socket: 'mgr',
        message: expect.objectContaining({ type: 'X_MIGRATE', errno: 'ENOENT', seq: 5, pid: 200 }),
      },
    ]);
    expect(at('send mgr', 4).errno).toBe('EINVAL');
    expect(at('send mgr', 4).delivered).toEqual([
      { socket: 'mgr', message: expect.objectContaining({ type: 'X_MIGRATE', errno: 'EINVAL' }) },
    ]);
    const ok = at('send mgr', 5);
    expect(ok.errno).toBe(0);
    expect(types(ok)).toEqual(['ike:X_MIGRATE', 'mgr:X_MIGRATE']);
    expect(ok.delivered?.[0]?.message.extensions).toContainEqual({
      type: 'X_KMADDRESS',
      local: COA2,
      remote: HA,
    });
  });

  it('dump shows the migrated tunnel endpoints and SA; advance expires the SA soft, then hard', () => {
    const before = at('dump', 0) as { spd: Record<string, unknown>[]; sad: Record<string, unknown>[] };
    expect(before.spd).toHaveLength(2);
    expect(before.spd[1]).toMatchObject({
      dir: 'out',
      selector: { src: `${HOA}/128`, dst: '::/0' },
      templates: [{ proto: 'esp', mode: 'tunnel', reqid: 2, src: COA2, dst: HA }],
    });
    expect(before.sad).toEqual([
      expect.objectContaining({ src: COA2, dst: HA, spi: '0x00001000', reqid: 2 }),
    ]);

    const soft = at('advance', 0);
    expect(soft).toMatchObject({ cmd: 'advance', seconds: 15, now: 15 });
    expect(types(soft)).toEqual(['ike:EXPIRE']);
    expect(soft.delivered?.[0]?.message.extensions.map((e) => e.type)).toContain('LIFETIME_SOFT');
    const hard = at('advance', 1);
    expect(hard).toMatchObject({ seconds: 10, now: 25 });
    expect(types(hard)).toEqual(['ike:EXPIRE']);
    expect(hard.delivered?.[0]?.message.extensions.map((e) => e.type)).toContain('LIFETIME_HARD');
    expect((at('dump', 1) as { sad: unknown[] }).sad).toEqual([]);
  });

  it('a bad line is reported and the script goes on; --strict turns it into status 1', () => {
    expect(at('packet sideways').error).toMatch(/^usage: packet/);
    const strict = cli(['kernel', 'replay', '--strict', '-'], 'dump\nfrobnicate\nadvance x\ndump\n');
    expect(jsonLines(strict.stdout).map((o) => o.cmd ?? 'error')).toEqual(['dump', 'error', 'error', 'dump']);
    expect(strict.status).toBe(1);
    expect(strict.stderr).toBe('error: EINVAL: 2 bad lines in the script, first at line 2\n');
  });

  it('reads a file, and streams its results as a pipe feeds it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mip6sec-replay-'));
    try {
      const file = join(dir, 'script.replay');
      writeFileSync(file, SCRIPT);
      const r = cli(['kernel', 'replay', file]);
      expect(r.status).toBe(0);
      expect(jsonLines(r.stdout)).toEqual(out);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // The second command is written only after the first one's result came back.
    const piped = shell(
      // fd 3 keeps the output open even after bash forgets R when the replay exits.
      'coproc R { mip6sec kernel replay; }\nexec 3<&"${R[0]}"\n' +
        'echo "advance 1" >&"${R[1]}"; read -r first <&3; echo "$first"\n' +
        'echo "advance 2" >&"${R[1]}"; exec {R[1]}>&-; cat <&3; wait',
    );
    expect(jsonLines(piped.stdout).map((o) => o.now)).toEqual([1, 3]);
  });

  it('the example script of --help runs as printed and raises ACQUIRE', () => {
    const help = cli(['kernel', 'replay', '--help']).stdout;
    const script = /\$ cat handover\.replay\n((?: {2}[^$\n].*\n)+)/.exec(help)?.[1];
    expect(script).toBeDefined();
    const r = cli(['kernel', 'replay', '--strict'], (script ?? '').replace(/^ {2}/gm, ''));
    expect(r.status).toBe(0);
    const results = jsonLines(r.stdout);
    expect(results.map((o) => o.cmd)).toEqual(['send', 'send', 'packet out', 'advance', 'dump']);
    expect(results.map((o) => o.errno ?? o.result ?? null)).toEqual([0, 0, 'acquire', null, null]);
  });

  it('a missing file or a bad option: one error line, status 1', () => {
    const r = cli(['kernel', 'replay', '/nonexistent/script.replay']);
    expectInputError(r, /^error: ENOENT: .+$/);
    const bad = cli(['kernel', 'replay', '--migrate-lookup', 'sideways'], 'dump\n');
    expect(bad.status).toBe(1);
    expect(bad.stderr.split('\n')[0]).toMatch(
      /^error: option '--migrate-lookup <how>' argument 'sideways' is invalid/,
    );
  });
});
