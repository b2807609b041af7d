/**
 * Two network namespaces joined by a veth pair, each end with an IPv4 and an IPv6 address, for
 * running charon and our daemon against each other. Names are unique per run; everything started
 * inside is tracked so `destroy()` (and, as a last resort, process exit) removes it all.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { CommandError, type RunOptions, type RunResult, run, sleep } from './exec.js';

export type Side = 'a' | 'b';

export interface NetnsEndOptions {
  /** Outer addresses on the veth end, with prefix length. */
  readonly ipv4?: string;
  readonly ipv6?: string;
  /** Extra host addresses put on loopback, e.g. inner tunnel addresses behind the gateway. */
  readonly inner?: readonly string[];
}

export interface NetnsEnd {
  readonly side: Side;
  readonly ns: string;
  readonly ifname: string;
  /** Outer addresses without prefix length. */
  readonly ipv4: string;
  readonly ipv6: string;
}

const NS_PREFIX = 'm6s-';
const DEFAULTS: Record<Side, Required<Omit<NetnsEndOptions, 'inner'>>> = {
  a: { ipv4: '192.0.2.1/24', ipv6: '2001:db8::1/64' },
  b: { ipv4: '192.0.2.2/24', ipv6: '2001:db8::2/64' },
};

const live = new Set<NetnsPair>();
let exitHookInstalled = false;

/** A synchronous last resort: vitest may exit without running afterAll after a crash. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pair of live) pair.destroySync();
  });
}

function address(cidr: string): string {
  return cidr.split('/')[0] ?? cidr;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Namespaces left by a harness run whose process is gone (killed before cleanup). */
async function removeStaleNamespaces(): Promise<void> {
  const { stdout } = await run(['ip', 'netns', 'list'], { allowFailure: true });
  for (const line of stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = new RegExp(`^${NS_PREFIX}(\\d+)-[0-9a-f]+-[ab]$`).exec(name);
    if (m && !pidAlive(Number(m[1]))) await run(['ip', 'netns', 'del', name], { allowFailure: true });
  }
}

export class NetnsPair {
  readonly a: NetnsEnd;
  readonly b: NetnsEnd;
  private readonly children = new Set<ChildProcess>();
  private destroyed = false;

  private constructor(a: NetnsEnd, b: NetnsEnd) {
    this.a = a;
    this.b = b;
  }

  /** Creates both namespaces, the veth between them, addresses (IPv6 without DAD) and loopback. */
  static async create(options: { a?: NetnsEndOptions; b?: NetnsEndOptions } = {}): Promise<NetnsPair> {
    installExitHook();
    await removeStaleNamespaces();
    const tag = `${process.pid}-${randomBytes(3).toString('hex')}`;
    const short = randomBytes(4).toString('hex');
    const cfg = {
      a: { ...DEFAULTS.a, ...options.a },
      b: { ...DEFAULTS.b, ...options.b },
    };
    const end = (side: Side): NetnsEnd => ({
      side,
      ns: `${NS_PREFIX}${tag}-${side}`,
      // veth names must fit IFNAMSIZ (15) and are unique so two runs never clash while moving.
      ifname: `m6${short}${side}`,
      ipv4: address(cfg[side].ipv4),
      ipv6: address(cfg[side].ipv6),
    });
    const pair = new NetnsPair(end('a'), end('b'));
    live.add(pair);
    try {
      const { a, b } = pair;
      await run(['ip', 'netns', 'add', a.ns]);
      await run(['ip', 'netns', 'add', b.ns]);
      await run([
        'ip',
        'link',
        'add',
        a.ifname,
        'netns',
        a.ns,
        'type',
        'veth',
        'peer',
        'name',
        b.ifname,
        'netns',
        b.ns,
      ]);
      for (const e of [a, b]) {
        const c = cfg[e.side];
        await pair.ip(e.side, ['link', 'set', 'lo', 'up']);
        await pair.ip(e.side, ['addr', 'add', c.ipv4, 'dev', e.ifname]);
        await pair.ip(e.side, ['addr', 'add', c.ipv6, 'dev', e.ifname, 'nodad']);
        for (const inner of options[e.side]?.inner ?? []) await pair.addAddress(e.side, inner, 'lo');
        await pair.ip(e.side, ['link', 'set', e.ifname, 'up']);
      }
      return pair;
    } catch (err) {
      await pair.destroy();
      throw err;
    }
  }

  end(side: Side): NetnsEnd {
    return side === 'a' ? this.a : this.b;
  }

  /** argv prefixed to run inside a side's namespace. */
  inNs(side: Side, argv: readonly string[]): string[] {
    return ['ip', 'netns', 'exec', this.end(side).ns, ...argv];
  }

  /** `ip ARGS` inside a side's namespace. */
  ip(side: Side, args: readonly string[], options?: RunOptions): Promise<RunResult> {
    return run(['ip', '-n', this.end(side).ns, ...args], options);
  }

  /** Runs a command to completion inside a side's namespace. */
  exec(side: Side, argv: readonly string[], options?: RunOptions): Promise<RunResult> {
    return run(this.inNs(side, argv), options);
  }

  /**
   * Starts a long-running process inside a side's namespace. `ip netns exec` replaces itself with
   * the command, so the returned child's pid is the command's own. It is killed by destroy().
   */
  spawn(side: Side, argv: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): ChildProcess {
    if (this.destroyed) throw new CommandError('ECMDFAIL', `netns pair ${this.a.ns} is destroyed`);
    const [file, ...args] = this.inNs(side, argv);
    const child = spawn(file ?? 'ip', args, {
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    child.on('error', () => this.children.delete(child));
    return child;
  }

  /** Starts `node script args...` inside a side's namespace (our daemon side runs this way). */
  spawnNode(side: Side, script: string, args: readonly string[] = [], env?: NodeJS.ProcessEnv): ChildProcess {
    return this.spawn(side, [process.execPath, script, ...args], { env });
  }

  /** Adds an address (IPv6 without DAD, usable at once) on the veth end or another device. */
  async addAddress(side: Side, cidr: string, dev = this.end(side).ifname): Promise<void> {
    const withPrefix = cidr.includes('/') ? cidr : `${cidr}/${isIPv6(cidr) ? 128 : 32}`;
    await this.ip(side, ['addr', 'add', withPrefix, 'dev', dev, ...(isIPv6(cidr) ? ['nodad'] : [])]);
  }

  async removeAddress(side: Side, cidr: string, dev = this.end(side).ifname): Promise<void> {
    const withPrefix = cidr.includes('/') ? cidr : `${cidr}/${isIPv6(cidr) ? 128 : 32}`;
    await this.ip(side, ['addr', 'del', withPrefix, 'dev', dev]);
  }

  /** Stops every process started here (SIGTERM, then SIGKILL) and deletes both namespaces. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    const exits = [...this.children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    );
    await Promise.all(exits);
    for (const e of [this.a, this.b]) {
      // A namespace stays busy for a moment after its last process exits.
      for (let i = 0; i < 5; i++) {
        const r = await run(['ip', 'netns', 'del', e.ns], { allowFailure: true });
        if (r.code === 0 || /No such file/.test(r.stderr)) break;
        await sleep(100);
      }
    }
    live.delete(this);
  }

  /** destroy() for the process exit hook, where nothing asynchronous runs any more. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const child of this.children) child.kill('SIGKILL');
    for (const e of [this.a, this.b]) spawnSync('ip', ['netns', 'del', e.ns], { stdio: 'ignore' });
    live.delete(this);
  }

  toString(): string {
    return `${this.a.ns}(${this.a.ipv4}, ${this.a.ipv6}) <-> ${this.b.ns}(${this.b.ipv4}, ${this.b.ipv6})`;
  }
}
