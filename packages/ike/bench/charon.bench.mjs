/**
 * IKE_SA setups per second of our responder next to strongSwan charon's, on this machine, in one
 * run, with the same driver and proposal:
 *   npm run bench:charon -w @mip6sec/ike [-- --count 400 --concurrency 16 --rounds 2 --warmup 1000
 *     --json --profile DIR]
 *
 * Two network namespaces joined by a veth: the driver, `mip6sec ike bench` (the built CLI: one
 * initiating @mip6sec/ike daemon, N fresh IKE SAs with their first CHILD_SA, C at a time), runs in
 * namespace b; the responder in namespace a is (a) `mip6sec ike respond` (our daemon, CHILD_SAs in
 * the simulated kernel) or (b) charon (kernel-libipsec: CHILD_SAs in its userspace ESP, routes in
 * the namespace), both on 500/4500 with a PSK. Rounds alternate the two so machine noise hits both;
 * each responder's best round counts. Beside setups/s it reports each responder's CPU time per
 * setup from /proc, which stays meaningful when the driver (it does the same DH work as our
 * responder) rather than the responder limits the rate. Needs root, `ip netns` and charon (the
 * Debian packages the interop tests name); builds the CLI first when it is not current.
 *
 * Both Node processes compile their hot code while they run, and compiling is CPU the first
 * thousand setups pay for (about 1 ms a setup on our responder). The rate of a daemon that has run
 * for a while is what the comparison is about, so `--warmup W` (default 1000) setups warm the
 * responder up first (a driver run of their own), and the timed driver run makes W untimed setups
 * before its timed ones to warm itself up; the responder's CPU is read around that timed run and
 * divided by all the setups it made. `--warmup 40` measures a cold start instead. `--profile DIR`
 * writes V8 CPU profiles of our responder and of the drivers there.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(ROOT, 'apps/cli/dist/main.js');
const CHARON = process.env.MIP6SEC_CHARON ?? '/usr/lib/ipsec/charon';
const IKE = 'aes128gcm16-prfsha256-x25519';
const ESP = 'aes128gcm16';
const PSK = 'charon-bench-psk-0123456789abcdef';
const ADDR = { a: '192.0.2.1', b: '192.0.2.2' };
const NETS = { a: '10.1.0.0/16', b: '10.2.0.0/16' };
const IDS = { responder: 'gw.bench.test', driver: 'driver@bench.test' };
/** The interop harness's plugin set (test/interop/swanctl-conf.ts): libipsec ESP, netlink addresses, vici. */
const CHARON_PLUGINS =
  'random nonce openssl pem pkcs1 pkcs8 x509 pubkey constraints revocation hmac gcm aes sha1 sha2 gmp kdf kernel-libipsec kernel-netlink socket-default vici';

const { values: opts } = parseArgs({
  options: {
    count: { type: 'string', default: '400' },
    concurrency: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '1000' },
    json: { type: 'boolean', default: false },
    // Writes V8 CPU profiles of our responder and of the driver (node --cpu-prof) into this directory.
    profile: { type: 'string' },
  },
});
const nodeArgs = opts.profile ? ['--cpu-prof', '--cpu-prof-dir', opts.profile] : [];
const count = Number(opts.count);
const concurrency = Number(opts.concurrency);
const rounds = Number(opts.rounds);
const warmup = Number(opts.warmup);
for (const [k, v] of Object.entries({ count, concurrency, rounds, warmup })) {
  if (!Number.isInteger(v) || v < (k === 'warmup' ? 0 : 1))
    fail(`--${k} must be a whole number${k === 'warmup' ? '' : ' above 0'}`);
}

function fail(message) {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}

function run(argv, { allowFailure = false, env } = {}) {
  const r = spawnSync(argv[0], argv.slice(1), { cwd: ROOT, encoding: 'utf8', env: env ?? process.env });
  if (r.error) throw new Error(`${argv.join(' ')}: ${r.error.message}`);
  if (r.status !== 0 && !allowFailure)
    throw new Error(`${argv.join(' ')}: exit ${r.status}\n${r.stderr}${r.stdout}`);
  return r;
}

// ---- prerequisites ---------------------------------------------------------------------------------

if (process.platform !== 'linux') fail('needs Linux network namespaces');
if (process.getuid?.() !== 0) fail('needs root to create network namespaces');
for (const tool of ['ip', 'unshare', 'swanctl']) {
  if (run(['sh', '-c', `command -v ${tool}`], { allowFailure: true }).status !== 0)
    fail(
      `'${tool}' is not installed (apt: strongswan-charon strongswan-swanctl libcharon-extra-plugins iproute2)`,
    );
}
if (!existsSync(CHARON)) fail(`${CHARON} is missing (apt: strongswan-charon)`);
{
  const tsc = run([join(ROOT, 'node_modules/.bin/tsc'), '-b', 'apps/cli/tsconfig.lib.json'], {
    allowFailure: true,
  });
  if (tsc.status !== 0) fail(`building the CLI failed:\n${tsc.stdout}${tsc.stderr}`);
}
const charonVersion =
  run([CHARON, '--version'], { allowFailure: true }).stdout.trim().split('\n')[0] ?? 'charon';

// ---- namespaces ------------------------------------------------------------------------------------

const tag = `${process.pid}-${randomBytes(3).toString('hex')}`;
const ns = { a: `m6sb-${tag}-a`, b: `m6sb-${tag}-b` };
const children = new Set();
let dir;

function cleanup() {
  for (const c of children) c.kill('SIGKILL');
  for (const n of Object.values(ns)) spawnSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
}
process.on('exit', cleanup);
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(130));

function setupNamespaces() {
  const veth = `m6b${randomBytes(4).toString('hex')}`;
  run(['ip', 'netns', 'add', ns.a]);
  run(['ip', 'netns', 'add', ns.b]);
  run([
    'ip',
    'link',
    'add',
    `${veth}a`,
    'netns',
    ns.a,
    'type',
    'veth',
    'peer',
    'name',
    `${veth}b`,
    'netns',
    ns.b,
  ]);
  for (const side of ['a', 'b']) {
    const ip = (...args) => run(['ip', '-n', ns[side], ...args]);
    ip('link', 'set', 'lo', 'up');
    ip('addr', 'add', `${ADDR[side]}/24`, 'dev', `${veth}${side}`);
    ip('link', 'set', `${veth}${side}`, 'up');
  }
  // charon installs a route for each CHILD_SA from an address inside its local subnet.
  run(['ip', '-n', ns.a, 'addr', 'add', '10.1.0.1/32', 'dev', 'lo']);
}

/** Starts argv in a namespace; `ip netns exec` (and unshare) exec in place, so the pid is the program's. */
function spawnIn(side, argv, env) {
  const child = spawn('ip', ['netns', 'exec', ns[side], ...argv], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: env ?? process.env,
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d) => {
    err += d;
  });
  child.errText = () => err;
  return child;
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

const CLK_TCK = Number(run(['getconf', 'CLK_TCK'], { allowFailure: true }).stdout.trim()) || 100;

/** User + system CPU seconds of a process (all its threads), from /proc. */
async function cpuSeconds(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of proc(5) (utime, stime), counted from the state at index 0 here.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

// ---- the responders ----------------------------------------------------------------------------------

async function startOurs() {
  const child = spawnIn('a', [
    process.execPath,
    ...nodeArgs,
    CLI,
    'ike',
    'respond',
    '--local',
    ADDR.a,
    '--id',
    IDS.responder,
    '--remote-id',
    IDS.driver,
    '--psk',
    PSK,
    '--ike',
    IKE,
    '--esp',
    ESP,
    '--local-ts',
    NETS.a,
    '--remote-ts',
    NETS.b,
  ]);
  const lines = createInterface({ input: child.stdout });
  await new Promise((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', () => reject(new Error(`our responder exited: ${child.errText()}`)));
  });
  // Keep draining its event lines so it never blocks on a full pipe.
  lines.on('line', () => undefined);
  return { name: '@mip6sec/ike responder', pid: child.pid, stop: () => stop(child) };
}

function viciUp(path) {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function startCharon() {
  const cdir = join(dir, 'charon');
  const swanctlDir = join(cdir, 'swanctl');
  for (const sub of ['run', 'swanctl/conf.d', 'swanctl/x509', 'swanctl/x509ca', 'swanctl/private'])
    await mkdir(join(cdir, sub), { recursive: true });
  const vici = join(cdir, 'charon.vici');
  const conf = join(cdir, 'strongswan.conf');
  await writeFile(
    conf,
    `charon {
  load = ${CHARON_PLUGINS}
  # a benchmark driver is one address with many half-open IKE SAs: no cookies, no blocking
  cookie_threshold = 1000000
  block_threshold = 1000000
  init_limit_half_open = 0
  plugins {
    vici {
      socket = unix://${vici}
    }
  }
  filelog {
    bench {
      path = ${join(cdir, 'charon.log')}
      default = 0
    }
  }
  syslog {
    daemon {
      default = -1
    }
  }
}
swanctl {
  socket = unix://${vici}
}
`,
  );
  await writeFile(join(swanctlDir, 'swanctl.conf'), 'include conf.d/*.conf\n');
  await writeFile(
    join(swanctlDir, 'conf.d', 'bench.conf'),
    `connections {
  bench {
    local_addrs = ${ADDR.a}
    proposals = ${IKE}
    local {
      auth = psk
      id = ${IDS.responder}
    }
    remote {
      auth = psk
      id = ${IDS.driver}
    }
    children {
      net {
        local_ts = ${NETS.a}
        remote_ts = ${NETS.b}
        esp_proposals = ${ESP}
      }
    }
  }
}
secrets {
  ike-bench {
    id-1 = ${IDS.responder}
    id-2 = ${IDS.driver}
    secret = "${PSK}"
  }
}
`,
  );
  const env = { ...process.env, STRONGSWAN_CONF: conf, SWANCTL_DIR: swanctlDir };
  // charon writes /var/run/charon.pid whatever it is told: give it a private /run.
  const child = spawnIn(
    'a',
    [
      'unshare',
      '--mount',
      '--propagation',
      'private',
      '--',
      'sh',
      '-c',
      'mount --bind "$1" /run && exec "$2"',
      'charon-bench',
      join(cdir, 'run'),
      CHARON,
    ],
    env,
  );
  const deadline = performance.now() + 15_000;
  while (!(await viciUp(vici))) {
    if (child.exitCode !== null) throw new Error(`charon exited: ${child.errText()}`);
    if (performance.now() > deadline) throw new Error(`charon did not open ${vici}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  run(['swanctl', '--load-all', '--noprompt', '--uri', `unix://${vici}`], { env });
  return { name: charonVersion, pid: child.pid, stop: () => stop(child) };
}

// ---- the driver ------------------------------------------------------------------------------------

/**
 * Runs the driver for `n` timed setups after `driverWarmup` untimed ones of its own (so its JIT is
 * warm when timing starts). Spawned, not run synchronously: this process keeps draining our
 * responder's event lines meanwhile, so the responder never writes into a full pipe.
 */
function drive(n, driverWarmup = 0) {
  const args = [
    process.execPath,
    ...nodeArgs,
    CLI,
    'ike',
    'bench',
    '--local',
    ADDR.b,
    '--remote',
    ADDR.a,
    '--id',
    IDS.driver,
    '--remote-id',
    IDS.responder,
    '--psk',
    PSK,
    '--ike',
    IKE,
    '--esp',
    ESP,
    '--local-ts',
    NETS.b,
    '--remote-ts',
    NETS.a,
    '--count',
    String(n),
    '--warmup',
    String(driverWarmup),
    '--concurrency',
    String(concurrency),
    '--json',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns.b, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      err += d;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      children.delete(child);
      if (code !== 0) reject(new Error(`the driver failed (exit ${code}): ${err}${out}`));
      else resolve(JSON.parse(out));
    });
  });
}

/**
 * One measurement: `warmup` setups warm the responder up (a driver process of their own), then the
 * timed driver run makes `warmup` more untimed ones to warm itself up before the `count` timed
 * ones. The responder's CPU is read around that second run and divided by all the setups it made.
 */
async function measure(responder) {
  if (warmup > 0) await drive(warmup);
  const cpu0 = await cpuSeconds(responder.pid);
  const result = await drive(count, warmup);
  const cpu = (await cpuSeconds(responder.pid)) - cpu0;
  return {
    ...result,
    responderCpuMsPerSetup: (cpu * 1000) / Math.max(1, result.established + warmup),
  };
}

// ---- main ------------------------------------------------------------------------------------------

dir = await mkdtemp(join(tmpdir(), 'mip6sec-charon-bench-'));
try {
  setupNamespaces();
  const best = { ours: undefined, charon: undefined };
  const all = { ours: [], charon: [] };
  for (let round = 0; round < rounds; round++) {
    for (const which of ['ours', 'charon']) {
      const responder = which === 'ours' ? await startOurs() : await startCharon();
      try {
        const r = await measure(responder);
        r.responder = responder.name;
        all[which].push(r);
        if (!best[which] || r.setupsPerSecond > best[which].setupsPerSecond) best[which] = r;
      } finally {
        await responder.stop();
      }
    }
  }
  const ratio = best.ours.setupsPerSecond / best.charon.setupsPerSecond;
  const cpuRatio = best.ours.responderCpuMsPerSetup / best.charon.responderCpuMsPerSetup;
  // On a shared machine the load of other processes swings between rounds; a round of ours and
  // the charon round right after it saw much the same, so their ratio is the steadier figure.
  const paired = all.ours.map((o, i) => ({
    ratio: o.setupsPerSecond / all.charon[i].setupsPerSecond,
    cpuRatio: o.responderCpuMsPerSetup / all.charon[i].responderCpuMsPerSetup,
  }));
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  const medianRatio = median(paired.map((p) => p.ratio));
  const medianCpuRatio = median(paired.map((p) => p.cpuRatio));
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ ike: IKE, esp: ESP, count, concurrency, rounds, warmup, best, all, ratio, cpuRatio, paired, medianRatio, medianCpuRatio })}\n`,
    );
  } else {
    const line = (r) =>
      `  ${r.responder.padEnd(28)} ${r.setupsPerSecond.toFixed(1).padStart(7)} setups/s   latency p50 ${r.latencyMs.p50.toFixed(
        1,
      )} ms, p99 ${r.latencyMs.p99.toFixed(1)} ms   responder CPU ${r.responderCpuMsPerSetup.toFixed(2)} ms/setup   driver CPU ${r.driverCpuSeconds.toFixed(1)} s${
        r.failed ? `   ${r.failed} failed` : ''
      }`;
    process.stdout.write(
      [
        `IKE_SA setups (IKE_SA_INIT + IKE_AUTH with one CHILD_SA), ${IKE} / ESP ${ESP}, PSK,`,
        `${count} per round after ${warmup} to warm up the responder and ${warmup} the driver, ${concurrency} at a time, best of ${rounds} rounds, same driver (mip6sec ike bench):`,
        line(best.ours),
        line(best.charon),
        `  ours / charon: ${ratio.toFixed(2)}x the setups per second, ${cpuRatio.toFixed(2)}x the responder CPU per setup`,
        `  round by round: ${paired.map((p) => `${p.ratio.toFixed(2)}x`).join(' ')} the setups per second (median ${medianRatio.toFixed(2)}x), median ${medianCpuRatio.toFixed(2)}x the CPU per setup`,
        '',
      ].join('\n'),
    );
  }
} finally {
  cleanup();
  await rm(dir, { recursive: true, force: true });
}
