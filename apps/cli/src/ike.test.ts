/**
 * `mip6sec ike` as two real processes over loopback UDP (127.0.0.1 and ::1, high ports, so no root
 * is needed): respond and initiate with --once agree on one IKE_SA and CHILD_SA; a wrong PSK makes
 * both exit 1 naming AUTHENTICATION_FAILED; certificates (made with openssl) authenticate, and one
 * from a CA the responder does not trust is refused; a serving responder prints events as JSON
 * lines and stops cleanly on SIGTERM; bench drives setups against it; bad options fail with one
 * error line.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cli, expectInputError, jsonLines } from './cli.test-util.js';

interface Running {
  readonly child: ChildProcess;
  /** stdout lines so far. */
  readonly lines: string[];
  readonly done: Promise<{ status: number | null; stdout: string; stderr: string }>;
  /** Resolves with the first stdout line `pred` accepts. */
  line(pred: (l: string) => boolean, ms?: number): Promise<string>;
}

const running: Running[] = [];

function start(args: readonly string[]): Running {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: { pred: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  createInterface({ input: child.stdout! }).on('line', (l) => {
    stdout += `${l}\n`;
    lines.push(l);
    for (const w of [...waiters]) {
      if (w.pred(l)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(l);
      }
    }
  });
  const done = new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
  const r: Running = {
    child,
    lines,
    done,
    line(pred, ms = 10_000) {
      const seen = lines.find(pred);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no such line within ${ms} ms; stdout:\n${stdout}\nstderr:\n${stderr}`)),
          ms,
        );
        waiters.push({
          pred,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
        void done.then(() => {
          clearTimeout(timer);
          reject(new Error(`exited before such a line; stdout:\n${stdout}\nstderr:\n${stderr}`));
        });
      });
    },
  };
  running.push(r);
  return r;
}

afterEach(() => {
  for (const r of running.splice(0)) if (r.child.exitCode === null) r.child.kill('SIGKILL');
});

/** Two free-looking port pairs (IKE, NAT-T = IKE + 1) for one test; tests in parallel pick others. */
function ports(): { a: number; b: number } {
  const base = 2 * randomInt(10_000, 25_000);
  return { a: base, b: base + 2 };
}

const PSK = 'correct horse battery staple';

function connection(o: {
  id: string;
  remoteId: string;
  localTs: string;
  remoteTs: string;
  ike?: string;
  esp?: string;
}) {
  return [
    '--id',
    o.id,
    '--remote-id',
    o.remoteId,
    '--local-ts',
    o.localTs,
    '--remote-ts',
    o.remoteTs,
    ...(o.ike ? ['--ike', o.ike] : []),
    ...(o.esp ? ['--esp', o.esp] : []),
  ];
}

type Listing = {
  type: string;
  ikeSpi: string;
  spiI: string;
  spiR: string;
  initiator: boolean;
  state: string;
  local: string;
  remote: string;
  localId: string;
  remoteId: string;
  algorithms: string;
  natLocal: boolean;
  natRemote: boolean;
  mobike: boolean;
  homeAddress?: { address?: string };
  assignedToPeer?: string;
  children: {
    name: string;
    mode: string;
    spiIn: string;
    spiOut: string;
    algorithms: string;
    localTs: string[];
    remoteTs: string[];
    encap: boolean;
    keys?: Record<string, string>;
  }[];
  keys?: Record<string, string>;
};

function expectMirrored(i: Listing, r: Listing): void {
  expect(i.type).toBe('ike.sa');
  expect(r.type).toBe('ike.sa');
  expect(i.state).toBe('established');
  expect(r.state).toBe('established');
  expect([i.initiator, r.initiator]).toEqual([true, false]);
  expect(i.ikeSpi).toBe(r.ikeSpi);
  expect([i.local, i.remote]).toEqual([r.remote, r.local]);
  expect([i.localId, i.remoteId]).toEqual([r.remoteId, r.localId]);
  expect(i.algorithms).toBe(r.algorithms);
  expect(i.children).toHaveLength(1);
  expect(r.children).toHaveLength(1);
  const [ci, cr] = [i.children[0]!, r.children[0]!];
  expect([ci.spiIn, ci.spiOut]).toEqual([cr.spiOut, cr.spiIn]);
  expect(ci.spiIn).not.toBe(ci.spiOut);
  expect([ci.localTs, ci.remoteTs]).toEqual([cr.remoteTs, cr.localTs]);
  expect(ci.algorithms).toBe(cr.algorithms);
  expect(ci.mode).toBe(cr.mode);
}

describe('mip6sec ike initiate / respond over loopback', () => {
  it('127.0.0.1: respond --once and initiate --once agree on an AES-GCM / X25519 IKE_SA and a tunnel CHILD_SA', async () => {
    const p = ports();
    const responder = start([
      'ike',
      'respond',
      '--local',
      `127.0.0.1:${p.b}`,
      ...connection({
        id: 'gw.example.org',
        remoteId: 'alice@example.org',
        localTs: '10.2.0.0/16',
        remoteTs: '10.1.0.0/16',
        ike: 'aes128gcm16-prfsha256-x25519',
        esp: 'aes128gcm16',
      }),
      '--psk',
      PSK,
      '--once',
      '--timeout',
      '20',
      '--json',
    ]);
    const listening = JSON.parse(await responder.line((l) => l.includes('"listening"')));
    expect(listening).toEqual({ type: 'listening', ip: '127.0.0.1', port: p.b, nattPort: p.b + 1 });
    const initiator = start([
      'ike',
      'initiate',
      '--local',
      `127.0.0.1:${p.a}`,
      '--remote',
      `127.0.0.1:${p.b}`,
      ...connection({
        id: 'alice@example.org',
        remoteId: 'gw.example.org',
        localTs: '10.1.0.0/16',
        remoteTs: '10.2.0.0/16',
        ike: 'aes128gcm16-prfsha256-x25519',
        esp: 'aes128gcm16',
      }),
      '--psk',
      PSK,
      '--once',
      '--timeout',
      '20',
      '--json',
      '--show-keys',
    ]);
    const [ri, rr] = await Promise.all([initiator.done, responder.done]);
    expect(ri.stderr).toBe('');
    expect(rr.stderr).toBe('');
    expect(ri.status).toBe(0);
    expect(rr.status).toBe(0);
    const [i] = jsonLines(ri.stdout) as unknown as Listing[];
    const r = (jsonLines(rr.stdout) as unknown as Listing[]).find((l) => l.type === 'ike.sa')!;
    expectMirrored(i!, r);
    expect(i!.algorithms).toBe('aes128gcm16-prfsha256-curve25519');
    expect(i!.children[0]).toMatchObject({
      name: 'net',
      mode: 'tunnel',
      algorithms: 'aes128gcm16-noesn',
      localTs: ['10.1.0.0/16'],
      remoteTs: ['10.2.0.0/16'],
    });
    // MOBIKE floats IKE to the NAT-T ports; the listings show the ports on the wire.
    expect(i!.local).toBe(`127.0.0.1:${p.a + 1}`);
    expect(i!.remote).toBe(`127.0.0.1:${p.b + 1}`);
    // Keys only with --show-keys: 16-byte AES key + 4-byte salt.
    expect(i!.keys?.skD).toMatch(/^[0-9a-f]{64}$/);
    expect(i!.children[0]!.keys?.encIn).toMatch(/^[0-9a-f]{40}$/);
    expect(r.keys).toBeUndefined();
    expect(r.children[0]!.keys).toBeUndefined();
  });

  it('::1: a MODP-2048 / AES-CBC / HMAC-SHA2 IKE_SA and a transport-mode CHILD_SA, text output', async () => {
    const p = ports();
    const common = { ike: 'aes256-sha384-modp2048', esp: 'aes256-sha256' };
    const responder = start([
      'ike',
      'respond',
      '--local',
      `[::1]:${p.b}`,
      '--remote',
      `[::1]:${p.a}`,
      '--id',
      'gw.example.org',
      '--ike',
      common.ike,
      '--esp',
      common.esp,
      '--mode',
      'transport',
      '--psk',
      PSK,
      '--once',
      '--timeout',
      '20',
    ]);
    await responder.line((l) => l.startsWith('listening on'));
    const initiator = start([
      'ike',
      'initiate',
      '--local',
      `[::1]:${p.a}`,
      '--remote',
      `[::1]:${p.b}`,
      '--id',
      'alice@example.org',
      '--remote-id',
      'gw.example.org',
      '--ike',
      common.ike,
      '--esp',
      common.esp,
      '--mode',
      'transport',
      '--psk',
      PSK,
      '--once',
      '--timeout',
      '20',
    ]);
    const [ri, rr] = await Promise.all([initiator.done, responder.done]);
    expect([ri.status, ri.stderr]).toEqual([0, '']);
    expect([rr.status, rr.stderr]).toEqual([0, '']);
    const spis = /^ {2}net: #\d+, INSTALLED, TRANSPORT, ESP, SPIs: ([0-9a-f]{8})_i ([0-9a-f]{8})_o$/m;
    const mi = spis.exec(ri.stdout);
    const mr = spis.exec(rr.stdout);
    expect(mi, ri.stdout).not.toBeNull();
    expect(mr, rr.stdout).not.toBeNull();
    expect([mi![1], mi![2]]).toEqual([mr![2], mr![1]]);
    expect(ri.stdout).toMatch(/^peer: ESTABLISHED, IKEv2, [0-9a-f]{16}_i\* [0-9a-f]{16}_r$/m);
    // The responder knows the initiator's ports (--remote), so NAT detection finds no NAT and ESP is plain.
    expect(ri.stdout).toContain(`  local  'alice@example.org' @ [::1]:${p.a + 1}\n`);
    expect(ri.stdout).toContain(`  remote 'gw.example.org' @ [::1]:${p.b + 1}\n`);
    expect(ri.stdout).toContain('  aes256-sha384-prfsha384-modp2048, MOBIKE\n');
    expect(ri.stdout).toContain('    aes256-sha256-noesn\n');
    expect(ri.stdout).toContain('    local  ::1/128\n');
    expect(rr.stdout).toContain(`  local  'gw.example.org' @ [::1]:${p.b + 1}\n`);
  });

  it('::1: a home address from the responder pool (RFC 5026), no MOBIKE, forced UDP encapsulation', async () => {
    const p = ports();
    const responder = start([
      'ike',
      'respond',
      '--local',
      `[::1]:${p.b}`,
      '--remote',
      `[::1]:${p.a}`,
      '--id',
      'ha.example.org',
      '--home-address-pool',
      '2001:db8:1::/64',
      '--psk',
      PSK,
      '--once',
      '--timeout',
      '20',
      '--json',
    ]);
    await responder.line((l) => l.includes('"listening"'));
    const initiator = start([
      'ike',
      'initiate',
      '--local',
      `[::1]:${p.a}`,
      '--remote',
      `[::1]:${p.b}`,
      '--id',
      'mn@example.org',
      '--remote-id',
      'ha.example.org',
      '--request-home-address',
      '--no-mobike',
      '--encap',
      '--psk',
      PSK,
      '--once',
      '--timeout',
      '20',
      '--json',
    ]);
    const [ri, rr] = await Promise.all([initiator.done, responder.done]);
    expect([ri.status, ri.stderr]).toEqual([0, '']);
    expect([rr.status, rr.stderr]).toEqual([0, '']);
    const [i] = jsonLines(ri.stdout) as unknown as Listing[];
    const r = (jsonLines(rr.stdout) as unknown as Listing[]).find((l) => l.type === 'ike.sa')!;
    expect(i!.homeAddress?.address).toMatch(/^2001:db8:1::/);
    expect(r.assignedToPeer).toBe(i!.homeAddress?.address);
    // The faked NAT floats IKE to the NAT-T ports and encapsulates ESP, MOBIKE or not.
    expect([i!.natLocal, i!.children[0]!.encap, i!.mobike]).toEqual([true, true, false]);
    expect(i!.local).toBe(`[::1]:${p.a + 1}`);
  });

  it('a wrong PSK makes both exit 1 with AUTHENTICATION_FAILED', async () => {
    const p = ports();
    const responder = start([
      'ike',
      'respond',
      '--local',
      `127.0.0.1:${p.b}`,
      '--id',
      'gw.example.org',
      '--psk',
      PSK,
      '--once',
      '--timeout',
      '20',
    ]);
    await responder.line((l) => l.startsWith('listening on'));
    const initiator = start([
      'ike',
      'initiate',
      '--local',
      `127.0.0.1:${p.a}`,
      '--remote',
      `127.0.0.1:${p.b}`,
      '--id',
      'alice@example.org',
      '--remote-id',
      'gw.example.org',
      '--psk',
      `${PSK}!`,
      '--once',
      '--timeout',
      '20',
    ]);
    const [ri, rr] = await Promise.all([initiator.done, responder.done]);
    expectInputError(ri, /^error: AUTHENTICATION_FAILED: .+$/);
    expect(rr.status).toBe(1);
    expect(rr.stderr).toMatch(
      /^error: AUTHENTICATION_FAILED: peer 'alice@example\.org' failed authentication: .+\n$/,
    );
    expect(rr.stdout).toMatch(/^listening on /);
  });

  it('a serving responder prints JSON events, is benched, and stops on SIGTERM after deleting its IKE_SAs', async () => {
    const p = ports();
    const responder = start([
      'ike',
      'respond',
      '--local',
      `127.0.0.1:${p.b}`,
      '--remote',
      `127.0.0.1:${p.a}`,
      '--id',
      'gw.example.org',
      '--ike',
      'aes128gcm16-prfsha256-ecp256',
      '--esp',
      'aes128gcm16',
      '--local-ts',
      '10.2.0.0/16',
      '--remote-ts',
      '10.1.0.0/16',
      '--psk',
      PSK,
      '--json',
    ]);
    await responder.line((l) => l.includes('"listening"'));
    const initiator = start([
      'ike',
      'initiate',
      '--local',
      `127.0.0.1:${p.a}`,
      '--remote',
      `127.0.0.1:${p.b}`,
      '--remote-id',
      'gw.example.org',
      '--ike',
      'aes128gcm16-prfsha256-ecp256',
      '--esp',
      'aes128gcm16',
      '--local-ts',
      '10.1.0.0/16',
      '--remote-ts',
      '10.2.0.0/16',
      '--psk',
      PSK,
      '--json',
    ]);
    // Without --once the initiator keeps the SA up and prints it first.
    const listed = JSON.parse(await initiator.line((l) => l.includes('"ike.sa"'))) as Listing;
    expect(listed.localId).toBe('127.0.0.1');
    const established = JSON.parse(await responder.line((l) => l.includes('"ike.sa-established"'))) as Record<
      string,
      unknown
    >;
    expect(established).toMatchObject({
      type: 'ike.sa-established',
      ikeSpi: listed.ikeSpi,
      initiator: false,
      remote: { ip: '127.0.0.1', port: p.a + 1 },
      remoteId: '127.0.0.1',
    });
    await responder.line((l) => l.includes('"ike.child-installed"'));
    initiator.child.kill('SIGTERM');
    const ri = await initiator.done;
    expect([ri.status, ri.stderr]).toEqual([0, '']);
    const deleted = JSON.parse(await responder.line((l) => l.includes('"ike.sa-deleted"')));
    expect(deleted).toMatchObject({ ikeSpi: listed.ikeSpi, reason: 'deleted by peer' });

    // bench drives fresh IKE_SAs against the same responder and deletes them after.
    const b = start([
      'ike',
      'bench',
      '--local',
      `127.0.0.1:${p.a}`,
      '--remote',
      `127.0.0.1:${p.b}`,
      '--remote-id',
      'gw.example.org',
      '--ike',
      'aes128gcm16-prfsha256-ecp256',
      '--esp',
      'aes128gcm16',
      '--local-ts',
      '10.1.0.0/16',
      '--remote-ts',
      '10.2.0.0/16',
      '--psk',
      PSK,
      '--count',
      '12',
      '--concurrency',
      '4',
      '--json',
    ]);
    const rb = await b.done;
    expect([rb.status, rb.stderr]).toEqual([0, '']);
    const result = JSON.parse(rb.stdout) as Record<string, unknown> & {
      latencyMs: Record<string, number>;
    };
    expect(result).toMatchObject({ count: 12, concurrency: 4, established: 12, failed: 0, failures: {} });
    expect(result.setupsPerSecond).toBeGreaterThan(0);
    expect(result.latencyMs.p50).toBeGreaterThan(0);
    expect(result.latencyMs.p50).toBeLessThanOrEqual(result.latencyMs.p90!);
    expect(result.latencyMs.p99).toBeLessThanOrEqual(result.latencyMs.max!);
    const setups = () => responder.lines.filter((l) => l.includes('"ike.sa-established"')).length;
    const deletions = () => responder.lines.filter((l) => l.includes('"ike.sa-deleted"')).length;
    // Event lines are written in batches, at most 50 ms after the event.
    await expect.poll(setups, { timeout: 5000 }).toBe(13);
    await expect.poll(deletions, { timeout: 5000 }).toBe(13);

    responder.child.kill('SIGTERM');
    const rr = await responder.done;
    expect([rr.status, rr.stderr]).toEqual([0, '']);
    for (const l of jsonLines(rr.stdout)) expect(typeof l.type).toBe('string');
  });
});

/** A CA and end-entity certificates (ECDSA P-256, subjectAltName dNSName) made with openssl. */
function makePki(dir: string, ca: string, entities: readonly string[]): void {
  const openssl = (args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  };
  const ec = ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  openssl(['genpkey', ...ec, '-out', `${ca}.key`]);
  openssl([
    'req',
    '-new',
    '-x509',
    '-key',
    `${ca}.key`,
    '-subj',
    `/O=mip6sec/CN=${ca}`,
    '-days',
    '2',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
    '-out',
    `${ca}.pem`,
  ]);
  for (const name of entities) {
    writeFileSync(
      join(dir, `${name}.ext`),
      `subjectAltName=DNS:${name}\nkeyUsage=critical,digitalSignature\n`,
    );
    openssl(['genpkey', ...ec, '-out', `${name}.key`]);
    openssl(['req', '-new', '-key', `${name}.key`, '-subj', `/O=mip6sec/CN=${name}`, '-out', `${name}.csr`]);
    openssl([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.pem`,
      '-CAkey',
      `${ca}.key`,
      '-set_serial',
      String(randomInt(1, 1_000_000)),
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.pem`,
    ]);
  }
}

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
/** Under CI a missing openssl fails these tests (in beforeAll) rather than skipping them. */
const ci = !['', '0', 'false', undefined].includes(process.env.CI);

describe.skipIf(!hasOpenssl && !ci)('mip6sec ike with certificates (needs the openssl command)', () => {
  let dir: string;
  const file = (name: string) => join(dir, name);
  const certArgs = (name: string, ca: string) => [
    '--cert',
    file(`${name}.pem`),
    '--key',
    file(`${name}.key`),
    '--ca',
    file(`${ca}.pem`),
  ];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mip6sec-cli-pki-'));
    makePki(dir, 'ca', ['gw.example.org', 'alice.example.org']);
    makePki(dir, 'other-ca', ['mallory.example.org']);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('authenticates both ends with ECDSA certificates chained to one CA', async () => {
    const p = ports();
    const responder = start([
      'ike',
      'respond',
      '--local',
      `127.0.0.1:${p.b}`,
      '--id',
      'gw.example.org',
      ...certArgs('gw.example.org', 'ca'),
      '--once',
      '--timeout',
      '20',
      '--json',
    ]);
    await responder.line((l) => l.includes('"listening"'));
    const initiator = start([
      'ike',
      'initiate',
      '--local',
      `127.0.0.1:${p.a}`,
      '--remote',
      `127.0.0.1:${p.b}`,
      '--id',
      'alice.example.org',
      '--remote-id',
      'gw.example.org',
      ...certArgs('alice.example.org', 'ca'),
      '--once',
      '--timeout',
      '20',
      '--json',
    ]);
    const [ri, rr] = await Promise.all([initiator.done, responder.done]);
    expect([ri.status, ri.stderr]).toEqual([0, '']);
    expect([rr.status, rr.stderr]).toEqual([0, '']);
    const [i] = jsonLines(ri.stdout) as unknown as Listing[];
    const r = (jsonLines(rr.stdout) as unknown as Listing[]).find((l) => l.type === 'ike.sa')!;
    expectMirrored(i!, r);
    expect([i!.localId, i!.remoteId]).toEqual(['alice.example.org', 'gw.example.org']);
  });

  it('refuses a certificate from a CA it does not trust: both exit 1 with AUTHENTICATION_FAILED', async () => {
    const p = ports();
    const responder = start([
      'ike',
      'respond',
      '--local',
      `127.0.0.1:${p.b}`,
      '--id',
      'gw.example.org',
      ...certArgs('gw.example.org', 'ca'),
      '--once',
      '--timeout',
      '20',
    ]);
    await responder.line((l) => l.startsWith('listening on'));
    const initiator = start([
      'ike',
      'initiate',
      '--local',
      `127.0.0.1:${p.a}`,
      '--remote',
      `127.0.0.1:${p.b}`,
      '--id',
      'mallory.example.org',
      '--remote-id',
      'gw.example.org',
      ...certArgs('mallory.example.org', 'ca'),
      '--once',
      '--timeout',
      '20',
    ]);
    const [ri, rr] = await Promise.all([initiator.done, responder.done]);
    expectInputError(ri, /^error: AUTHENTICATION_FAILED: .+$/);
    expect(rr.status).toBe(1);
    expect(rr.stderr).toMatch(
      /^error: AUTHENTICATION_FAILED: peer 'mallory\.example\.org' failed authentication: .+\n$/,
    );
  });

  it('refuses --psk together with certificates, and a missing file', () => {
    expectInputError(
      cli([
        'ike',
        'initiate',
        '--remote',
        '127.0.0.1:40002',
        '--psk',
        'x',
        ...certArgs('gw.example.org', 'ca'),
      ]),
      /^error: EINVAL: give either --psk or --cert\/--key\/--ca, not both$/,
    );
    expectInputError(
      cli([
        'ike',
        'initiate',
        '--remote',
        '127.0.0.1:40002',
        '--cert',
        file('nope.pem'),
        '--key',
        file('nope.key'),
        '--ca',
        file('ca.pem'),
      ]),
      /^error: ENOENT: --cert .*nope\.pem: .+$/,
    );
  });
});

describe('mip6sec ike: bad options', () => {
  it('refuses an IPv6 address with a port but no brackets', () => {
    // (::1:500 would be an address, 0:0:0:0:0:0:1:500; 15010 is too long for a group.)
    expectInputError(
      cli(['ike', 'initiate', '--remote', '::1:15010', '--psk', 'x', '--once']),
      /^error: EINVAL: --remote: not an address or ADDR:PORT \(IPv6 as \[ADDR\]:PORT\): "::1:15010"$/,
    );
  });

  it('refuses a proposal it does not know, naming it', () => {
    expectInputError(
      cli(['ike', 'respond', '--local', '127.0.0.1:40000', '--psk', 'x', '--ike', 'aes128-sha256-modp1024']),
      /^error: EINVAL: .*modp1024.*$/,
    );
  });

  it('refuses mixed address families', () => {
    expectInputError(
      cli(['ike', 'initiate', '--local', '[::1]:40000', '--remote', '127.0.0.1:40002', '--psk', 'x']),
      /^error: EINVAL: --local ::1 and --remote 127\.0\.0\.1 are not of one address family$/,
    );
  });

  it('needs a PSK', () => {
    expectInputError(
      cli(['ike', 'bench', '--local', '127.0.0.1:40000', '--remote', '127.0.0.1:40002']),
      /^error: EINVAL: give --psk SECRET, or --cert, --key and --ca$/,
    );
  });

  it('reports a port that is taken', async () => {
    const p = ports();
    const holder = start(['ike', 'respond', '--local', `127.0.0.1:${p.b}`, '--psk', 'x']);
    await holder.line((l) => l.startsWith('listening on'));
    expectInputError(
      cli(['ike', 'respond', '--local', `127.0.0.1:${p.b}`, '--psk', 'x', '--once']),
      /^error: EADDRINUSE: cannot bind UDP 127\.0\.0\.1 port \d+: .+$/,
    );
  });
});
