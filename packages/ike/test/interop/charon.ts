/**
 * One strongSwan charon running inside a test namespace, driven with swanctl over its own vici
 * socket. Everything it reads or writes lives in its own directory: strongswan.conf (through
 * STRONGSWAN_CONF), swanctl.conf and credentials (through SWANCTL_DIR), the vici socket, the log,
 * and the pid file, which charon always writes to /var/run/charon.pid, so /run is bind-mounted from
 * that directory in a private mount namespace. The host's /etc/ipsec.d and /etc/swanctl are untouched.
 */
import type { ChildProcess } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { basename, join } from 'node:path';
import { CommandError, type RunResult, run, sleep, waitUntil } from './exec.js';
import type { NetnsPair, Side } from './netns.js';
import { CHARON_PATH } from './prereqs.js';
import {
  formatStrongswanConf,
  formatSwanctlConf,
  type SettingsTree,
  type SwanctlConfig,
} from './swanctl-conf.js';
import { type IkeSaInfo, parseListSas } from './swanctl-output.js';

export interface CharonOptions {
  readonly pair: NetnsPair;
  readonly side: Side;
  /** A fresh directory for this instance's files (created if missing). */
  readonly dir: string;
  /** Further `charon { ... }` settings of strongswan.conf. */
  readonly settings?: SettingsTree;
  readonly logLevels?: Readonly<Record<string, number>>;
  readonly startTimeoutMs?: number;
}

/** Which SA a swanctl command acts on. */
export type SaSelector =
  | { readonly ike: string }
  | { readonly child: string }
  | { readonly ikeId: number }
  | { readonly childId: number };

/** Credential directories swanctl reads (it complains about each one that is missing). */
const SWANCTL_SUBDIRS = [
  'x509',
  'x509ca',
  'x509ocsp',
  'x509aa',
  'x509ac',
  'x509crl',
  'pubkey',
  'private',
  'rsa',
  'ecdsa',
  'bliss',
  'pkcs8',
  'pkcs12',
  'conf.d',
];

function selectorArgs(s: SaSelector): string[] {
  if ('ike' in s) return ['--ike', s.ike];
  if ('child' in s) return ['--child', s.child];
  if ('ikeId' in s) return ['--ike-id', String(s.ikeId)];
  return ['--child-id', String(s.childId)];
}

function viciReachable(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(path);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

export class Charon {
  readonly dir: string;
  readonly side: Side;
  readonly viciSocket: string;
  readonly logPath: string;
  readonly swanctlDir: string;
  private readonly confPath: string;
  private readonly process: ChildProcess;
  private output = '';
  private readonly exited: Promise<void>;

  private constructor(o: CharonOptions, proc: ChildProcess) {
    this.dir = o.dir;
    this.side = o.side;
    this.viciSocket = join(o.dir, 'charon.vici');
    this.logPath = join(o.dir, 'charon.log');
    this.swanctlDir = join(o.dir, 'swanctl');
    this.confPath = join(o.dir, 'strongswan.conf');
    this.process = proc;
    proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
      this.output += d;
    });
    proc.stderr?.setEncoding('utf8').on('data', (d: string) => {
      this.output += d;
    });
    this.exited = new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) resolve();
      else proc.once('exit', () => resolve());
    });
  }

  /** Writes strongswan.conf, starts charon in the side's namespace and waits for its vici socket. */
  static async start(o: CharonOptions): Promise<Charon> {
    const dir = o.dir;
    const runDir = join(dir, 'run');
    const viciSocket = join(dir, 'charon.vici');
    await mkdir(runDir, { recursive: true });
    for (const sub of SWANCTL_SUBDIRS) await mkdir(join(dir, 'swanctl', sub), { recursive: true });
    await rm(viciSocket, { force: true });
    await writeFile(join(dir, 'swanctl', 'swanctl.conf'), 'include conf.d/*.conf\n');
    await writeFile(
      join(dir, 'strongswan.conf'),
      formatStrongswanConf({
        viciSocket,
        logPath: join(dir, 'charon.log'),
        logLevels: o.logLevels,
        charon: o.settings,
      }),
    );
    // `ip netns exec` and `unshare` exec in place, so the child's pid is charon's.
    const proc = o.pair.spawn(
      o.side,
      [
        'unshare',
        '--mount',
        '--propagation',
        'private',
        '--',
        'sh',
        '-c',
        'mount --bind "$1" /run && exec "$2"',
        'charon-launch',
        runDir,
        CHARON_PATH,
      ],
      { env: { ...process.env, STRONGSWAN_CONF: join(dir, 'strongswan.conf') } },
    );
    const charon = new Charon(o, proc);
    try {
      await waitUntil(
        `charon in ${o.pair.end(o.side).ns} to open ${viciSocket}`,
        async () => {
          if (proc.exitCode !== null || proc.signalCode !== null) {
            throw new CommandError('ECMDFAIL', `charon exited (${proc.exitCode ?? proc.signalCode})`);
          }
          return (await viciReachable(viciSocket)) ? true : undefined;
        },
        { timeoutMs: o.startTimeoutMs ?? 15_000, intervalMs: 50, explain: () => charon.diagnostics() },
      );
    } catch (err) {
      await charon.stop();
      throw err;
    }
    return charon;
  }

  /** charon's pid (also in its private /run/charon.pid). */
  get pid(): number | undefined {
    return this.process.pid;
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Runs swanctl against this charon. */
  swanctl(
    args: readonly string[],
    options: { allowFailure?: boolean; timeoutMs?: number } = {},
  ): Promise<RunResult> {
    return run(['swanctl', ...args, '--uri', `unix://${this.viciSocket}`], {
      env: { ...process.env, STRONGSWAN_CONF: this.confPath, SWANCTL_DIR: this.swanctlDir },
      ...options,
    }).catch(async (err: unknown) => {
      if (err instanceof CommandError) {
        throw new CommandError(err.code, `${err.message}\n${await this.diagnostics()}`, err.result);
      }
      throw err;
    });
  }

  /** Copies a certificate (x509/), CA certificate (x509ca/) or private key (private/); returns its file name. */
  async addCredential(kind: 'cert' | 'cacert' | 'key', path: string): Promise<string> {
    const sub = kind === 'cert' ? 'x509' : kind === 'cacert' ? 'x509ca' : 'private';
    const name = basename(path);
    await copyFile(path, join(this.swanctlDir, sub, name));
    return name;
  }

  /** Writes the connections and secrets (replacing earlier ones) and loads everything into charon. */
  async configure(config: SwanctlConfig): Promise<void> {
    await writeFile(join(this.swanctlDir, 'conf.d', 'interop.conf'), formatSwanctlConf(config));
    await this.loadAll();
  }

  async loadAll(): Promise<void> {
    await this.swanctl(['--load-all', '--noprompt', '--clear']);
  }

  /** Initiates a CHILD_SA (and its IKE_SA if needed) and waits for the result. */
  async initiate(child: string, options: { ike?: string; timeoutS?: number } = {}): Promise<RunResult> {
    const ike = options.ike ? ['--ike', options.ike] : [];
    const timeoutS = options.timeoutS ?? 20;
    return this.swanctl(['--initiate', '--child', child, ...ike, '--timeout', String(timeoutS)], {
      timeoutMs: (timeoutS + 5) * 1000,
    });
  }

  async terminate(sa: SaSelector, options: { timeoutS?: number; force?: boolean } = {}): Promise<RunResult> {
    const timeoutS = options.timeoutS ?? 15;
    return this.swanctl(
      [
        '--terminate',
        ...selectorArgs(sa),
        ...(options.force ? ['--force'] : []),
        '--timeout',
        String(timeoutS),
      ],
      { timeoutMs: (timeoutS + 5) * 1000 },
    );
  }

  /** Starts a rekey (returns once charon queued it; wait on listSas for the result). */
  async rekey(sa: SaSelector, options: { reauth?: boolean } = {}): Promise<RunResult> {
    return this.swanctl(['--rekey', ...selectorArgs(sa), ...(options.reauth ? ['--reauth'] : [])]);
  }

  async listSas(filter?: { ike?: string }): Promise<IkeSaInfo[]> {
    const f = filter?.ike ? ['--ike', filter.ike] : [];
    const r = await this.swanctl(['--list-sas', ...f, '--noblock', '--pretty']);
    return parseListSas(r.stdout);
  }

  /** Polls --list-sas until `pick` returns something, failing with the log tail after the timeout. */
  async waitForSas<T>(
    what: string,
    pick: (sas: IkeSaInfo[]) => T | undefined,
    options: { timeoutMs?: number } = {},
  ): Promise<T> {
    return waitUntil(`${what} (charon ${this.side})`, async () => pick(await this.listSas()), {
      timeoutMs: options.timeoutMs ?? 15_000,
      intervalMs: 150,
      explain: () => this.diagnostics(),
    });
  }

  /** Waits for an ESTABLISHED IKE_SA of connection `name` with an INSTALLED CHILD_SA `child`. */
  async waitEstablished(
    name: string,
    child?: string,
    options: { timeoutMs?: number } = {},
  ): Promise<IkeSaInfo> {
    return this.waitForSas(
      `IKE_SA ${name}${child ? ` with CHILD_SA ${child}` : ''} established`,
      (sas) =>
        sas.find(
          (s) =>
            s.name === name &&
            s.state === 'ESTABLISHED' &&
            (child === undefined || s.children.some((c) => c.name === child && c.state === 'INSTALLED')),
        ),
      options,
    );
  }

  async log(): Promise<string> {
    return readFile(this.logPath, 'utf8').catch(() => '');
  }

  /** The last lines of charon's log and its console output, for failure messages. */
  async diagnostics(lines = 60): Promise<string> {
    const log = (await this.log()).trimEnd().split('\n').slice(-lines).join('\n');
    const console = this.output.trim();
    return `--- charon ${this.side} log (${this.logPath}), last ${lines} lines ---\n${log}${
      console ? `\n--- charon ${this.side} console ---\n${console}` : ''
    }`;
  }

  /** Stops charon (SIGTERM, then SIGKILL after 5 s) and returns its whole log. */
  async stop(): Promise<string> {
    if (this.running) {
      this.process.kill('SIGTERM');
      const done = await Promise.race([this.exited.then(() => true), sleep(5000).then(() => false)]);
      if (!done) {
        this.process.kill('SIGKILL');
        await this.exited;
      }
    }
    return this.log();
  }
}
