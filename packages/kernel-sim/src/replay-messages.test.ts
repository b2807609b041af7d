/**
 * PF_KEY messages built in C with the real Linux structs (test-c/replay-messages.c, compiled with gcc against
 * <linux/pfkeyv2.h> and <linux/ipsec.h>), replayed against the simulated kernel with `runReplay` and with the
 * built `mip6sec kernel replay`. The answers must be what RFC 2367 and draft-ebalard-mext-pfkey-enhanced-migrate
 * section 5.3 say, with Linux's errors (kernel-interfaces.md 2.4): EINVAL for a malformed MIGRATE, ENOENT
 * when no policy has the selector, ENODATA when no template has the old endpoints; no effect on error;
 * changes broadcast to every socket; ACQUIRE to registered sockets only, with the policy's SADB_X_EXT_REF;
 * EXPIRE soft, then hard, when the lifetimes run out.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Available, requireAvailable, runC } from '../../../test-support/compile-c.js';
import { runReplay } from './replay.js';

const HOA = '2001:db8:aaaa::100';
const HA = '2001:db8:aaaa::1';
const COA1 = '2001:db8:cccc::5';
const COA2 = '2001:db8:dddd::5';
const MPI = String(0x1122334455667788n);

let messages: Available<Map<string, string>>;
beforeAll(() => {
  const run = runC(new URL('../test-c/replay-messages.c', import.meta.url));
  messages = run.ok
    ? {
        ok: true,
        value: new Map(
          run.value
            .trim()
            .split('\n')
            .map((l) => l.split('\t') as [string, string]),
        ),
      }
    : run;
});

/** The script: socket `a` is the IKE daemon (it registers), socket `b` is mip6d (it only writes). */
function script(m: Map<string, string>): string[] {
  const hex = (name: string): string => {
    const h = m.get(name);
    if (!h) throw new Error(`replay-messages.c printed no ${name}`);
    return h;
  };
  return [
    '# IKE registers for ESP; mip6d adds the tunnel policy bound to an MPI',
    `send a ${hex('REGISTER')}`, // 2
    `send b ${hex('SPDADD_REF')}`, // 3
    '# a packet the policy protects, no SA yet: ACQUIRE',
    `packet out ${HOA} 2001:db8:77::2 udp 1000 2000`, // 5
    `send a ${hex('ADD_SA')}`, // 6
    `packet out ${HOA} 2001:db8:77::2 udp 1000 2000`, // 7
    '# the MN moves; then four MIGRATEs that must change nothing',
    `send b ${hex('MIGRATE')}`, // 9
    'dump', // 10
    `send b ${hex('MIGRATE')}`, // 11
    'dump', // 12
    `send b ${hex('MIGRATE_NO_POLICY')}`, // 13
    'dump', // 14
    `send b ${hex('MIGRATE_ODD')}`, // 15
    'dump', // 16
    `send b ${hex('MIGRATE_BAD_KMADDRESS')}`, // 17
    'dump', // 18
    '# soft lifetime 10 s, hard 20 s',
    'advance 9', // 20
    'advance 1', // 21
    'advance 10', // 22
    'dump', // 23
  ];
}

type Out = Record<string, unknown>;
interface Delivery {
  socket: string;
  message: { type: string; errno: string | number; extensions: { type: string | number }[] } & Out;
}

const deliveries = (o: Out | undefined): Delivery[] => (o?.delivered ?? []) as Delivery[];
const ext = (d: Delivery | undefined, type: string): Out | undefined =>
  d?.message.extensions.find((e) => e.type === type) as Out | undefined;

/** Everything the done-when asks of one run's output (from runReplay or from the CLI). */
function checkTranscript(out: Out[]): void {
  const at = (line: number): Out => {
    const o = out.find((x) => x.line === line);
    if (!o) throw new Error(`no output for line ${line}`);
    expect(o.error, `line ${line}`).toBeUndefined();
    return o;
  };
  // errno per line: 0 for the good messages, Linux's errno for each bad MIGRATE.
  expect(out.filter((o) => o.cmd === 'send').map((o) => [o.line, o.errno])).toEqual([
    [2, 0],
    [3, 0],
    [6, 0],
    [9, 0],
    [11, 'ENODATA'],
    [13, 'ENOENT'],
    [15, 'EINVAL'],
    [17, 'EINVAL'],
  ]);

  // REGISTER: the answer goes to the registering socket (b never registered).
  expect(deliveries(at(2)).map((d) => [d.socket, d.message.type])).toEqual([['a', 'REGISTER']]);
  expect(ext(deliveries(at(2))[0], 'SUPPORTED_ENCRYPT')).toBeDefined();

  // SPDADD: broadcast to every socket, each copy with the writer's seq/pid and the reference.
  const spdadd = deliveries(at(3));
  expect(spdadd.map((d) => [d.socket, d.message.type, d.message.seq, d.message.pid])).toEqual([
    ['a', 'X_SPDADD', 1, 600],
    ['b', 'X_SPDADD', 1, 600],
  ]);
  for (const d of spdadd)
    expect(ext(d, 'X_REF')).toEqual({ type: 'X_REF', refType: 1, refTypeExt: 0, mpi: MPI });

  // ACQUIRE: only the registered socket, pid 0, tunnel endpoints, the policy's index and the reference.
  expect(at(5).result).toBe('acquire');
  const acq = deliveries(at(5));
  expect(acq.map((d) => [d.socket, d.message.type, d.message.pid])).toEqual([['a', 'ACQUIRE', 0]]);
  expect(ext(acq[0], 'ADDRESS_SRC')).toMatchObject({ address: COA1 });
  expect(ext(acq[0], 'ADDRESS_DST')).toMatchObject({ address: HA });
  expect(ext(acq[0], 'X_POLICY')).toMatchObject({
    dir: 'OUTBOUND',
    id: (ext(spdadd[0], 'X_POLICY') as { id: number }).id,
  });
  expect(ext(acq[0], 'X_REF')).toEqual({ type: 'X_REF', refType: 1, refTypeExt: 0, mpi: MPI });

  // ADD: to every socket; then the packet leaves as ESP from CoA1.
  expect(deliveries(at(6)).map((d) => [d.socket, d.message.type])).toEqual([
    ['a', 'ADD'],
    ['b', 'ADD'],
  ]);
  expect(at(7)).toMatchObject({ result: 'send', delivered: [] });
  expect(at(7).bytes).toMatch(/^60[0-9a-f]{14}20010db8cccc0{19}5/); // IPv6 from CoA1

  // MIGRATE: no reply, the broadcast to every socket (seq 0, pid 0, KMADDRESS untouched); SP and SA moved.
  const mig = deliveries(at(9));
  expect(mig.map((d) => [d.socket, d.message.type, d.message.errno, d.message.seq, d.message.pid])).toEqual([
    ['a', 'X_MIGRATE', 0, 0, 0],
    ['b', 'X_MIGRATE', 0, 0, 0],
  ]);
  for (const d of mig) expect(ext(d, 'X_KMADDRESS')).toMatchObject({ local: COA2, remote: HA });
  const moved = at(10);
  expect(moved).toMatchObject({
    spd: [{ dir: 'out', templates: [{ src: COA2, dst: HA }], ref: { mpi: MPI, refType: 1 } }],
    sad: [{ src: COA2, dst: HA, spi: '0x00001000', state: 'mature' }],
  });

  // Every failing MIGRATE: only the header-only error reply, to the writer; the SPD and SAD unchanged.
  for (const [line, errno] of [
    [11, 'ENODATA'],
    [13, 'ENOENT'],
    [15, 'EINVAL'],
    [17, 'EINVAL'],
  ] as const) {
    expect(deliveries(at(line)), `line ${line}`).toEqual([
      {
        socket: 'b',
        message: expect.objectContaining({ type: 'X_MIGRATE', errno, pid: 600, extensions: [] }),
      },
    ]);
    expect(at(line + 1), `dump after line ${line}`).toEqual({ ...moved, line: line + 1 });
  }

  // Lifetimes: nothing at 9 s, soft EXPIRE at 10 s, hard at 20 s, to the registered socket only.
  expect(deliveries(at(20))).toEqual([]);
  const soft = deliveries(at(21));
  expect(soft.map((d) => [d.socket, d.message.type, d.message.pid])).toEqual([['a', 'EXPIRE', 0]]);
  expect(ext(soft[0], 'LIFETIME_SOFT')).toMatchObject({ addtime: '10' });
  expect(ext(soft[0], 'LIFETIME_HARD')).toBeUndefined();
  expect(ext(soft[0], 'SA')).toMatchObject({ spi: '0x00001000', state: 'DYING' });
  expect(ext(soft[0], 'ADDRESS_SRC')).toMatchObject({ address: COA2 });
  const hard = deliveries(at(22));
  expect(hard.map((d) => [d.socket, d.message.type])).toEqual([['a', 'EXPIRE']]);
  expect(ext(hard[0], 'LIFETIME_HARD')).toMatchObject({ addtime: '20' });
  expect(ext(hard[0], 'LIFETIME_SOFT')).toBeUndefined();
  expect(at(23)).toMatchObject({ sad: [], spd: [{ templates: [{ src: COA2 }] }] });
}

async function replayInProcess(lines: string[]): Promise<Out[]> {
  const out: Out[] = [];
  await runReplay(lines, (o) => out.push(o));
  return out;
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(ROOT, 'apps/cli/dist/main.js');
const BUILD = 'NX_DAEMON=false npx nx run @mip6sec/cli:build --output-style=static';

/** Newest modification time of the files under `dir` whose names pass `keep`. */
function newest(dir: string, keep: (name: string) => boolean): number {
  let t = 0;
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    if (keep(name)) t = Math.max(t, statSync(join(dir, name)).mtimeMs);
  }
  return t;
}

/**
 * The built CLI, if it is there and the two packages whose code it runs here were built after their sources
 * last changed (tsc -b writes or touches its outputs on every build).
 */
function builtCli(): Available<string> {
  if (!existsSync(CLI)) return { ok: false, reason: `${CLI} is not built; run ${BUILD}` };
  for (const pkg of ['kernel-sim', 'pfkey-codec']) {
    const dist = join(ROOT, 'packages', pkg, 'dist');
    const src = join(ROOT, 'packages', pkg, 'src');
    const built = existsSync(dist) ? newest(dist, (n) => n.endsWith('.js')) : 0;
    if (built < newest(src, (n) => n.endsWith('.ts') && !n.includes('.test')))
      return { ok: false, reason: `packages/${pkg}/dist is older than its sources; run ${BUILD}` };
  }
  // The CLI loads every package it links at start; one that is broken stops it before any verb runs.
  const probe = spawnSync(process.execPath, [CLI, 'kernel', '--help'], { encoding: 'utf8', timeout: 30_000 });
  if (probe.status !== 0) {
    const why = probe.error?.message ?? probe.stderr.split('\n').find((l) => /Error/.test(l)) ?? probe.stderr;
    return { ok: false, reason: `the built CLI does not start (${why.trim()}); run ${BUILD}` };
  }
  return { ok: true, value: CLI };
}

describe('a handover in PF_KEY messages built with the Linux structs, replayed', () => {
  it('runReplay: errnos, broadcasts, ACQUIRE with X_REF, no effect on error, EXPIRE soft then hard', async (ctx) => {
    const m = requireAvailable(messages, ctx.skip);
    checkTranscript(await replayInProcess(script(m)));
  });

  it('the same script through the built `mip6sec kernel replay` prints the same JSON lines', async (ctx) => {
    const m = requireAvailable(messages, ctx.skip);
    const cli = requireAvailable(builtCli(), ctx.skip);
    const lines = script(m);
    const r = spawnSync(process.execPath, [cli, 'kernel', 'replay', '--strict'], {
      input: `${lines.join('\n')}\n`,
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (r.error) throw r.error;
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = r.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Out);
    checkTranscript(out);
    expect(out).toEqual(JSON.parse(JSON.stringify(await replayInProcess(lines))));
  });
});
