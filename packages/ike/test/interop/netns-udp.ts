/**
 * The core `Transport` contract over UDP sockets that live inside a test namespace: each bound
 * socket is a small relay process (udp-relay.mjs) in the namespace, and datagrams cross its stdio.
 * Code running in the vitest process (our IKE daemon, or a test speaking IKE by hand) thereby
 * talks to charon on the namespace's real addresses and ports.
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Datagram, DatagramSocket, Endpoint, Ip, Transport } from '@mip6sec/core';
import { filter, firstValueFrom, type Observable, Subject, take, timeout } from 'rxjs';
import { CommandError } from './exec.js';
import type { NetnsPair, Side } from './netns.js';

const RELAY = fileURLToPath(new URL('./udp-relay.mjs', import.meta.url));

type RelayEvent =
  | { ev: 'bound'; ip: string; port: number }
  | { ev: 'recv'; src: Endpoint; dst: Endpoint; data: string }
  | { ev: 'error'; message: string };

class RelaySocket implements DatagramSocket {
  readonly local: Endpoint;
  private readonly subject = new Subject<Datagram>();
  readonly messages: Observable<Datagram> = this.subject.asObservable();
  /** Errors the relay reported (send failures); tests may assert there are none. */
  readonly errors: string[] = [];

  constructor(
    private readonly child: ChildProcess,
    local: Endpoint,
    events: Observable<RelayEvent>,
  ) {
    this.local = local;
    events.subscribe({
      next: (e) => {
        if (e.ev === 'recv') {
          this.subject.next({ src: e.src, dst: e.dst, data: new Uint8Array(Buffer.from(e.data, 'base64')) });
        } else if (e.ev === 'error') {
          this.errors.push(e.message);
        }
      },
      complete: () => this.subject.complete(),
    });
  }

  send(to: Endpoint, data: Uint8Array, from?: Ip): void {
    if (!this.child.stdin?.writable) return;
    const cmd = { op: 'send', to, ...(from ? { from } : {}), data: Buffer.from(data).toString('base64') };
    this.child.stdin.write(`${JSON.stringify(cmd)}\n`);
  }

  close(): void {
    this.child.stdin?.end();
  }
}

export class NetnsUdpTransport implements Transport {
  constructor(
    private readonly pair: NetnsPair,
    private readonly side: Side,
  ) {}

  /** Binds inside the namespace; port 0 picks a free port. Rejects with the relay's error. */
  async bind(local: Endpoint): Promise<DatagramSocket & { readonly errors: readonly string[] }> {
    const child = this.pair.spawnNode(this.side, RELAY, [local.ip, String(local.port)]);
    const events = new Subject<RelayEvent>();
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        events.next(JSON.parse(line) as RelayEvent);
      } catch {
        stderr += `${line}\n`;
      }
    });
    child.on('exit', () => events.complete());
    const first = await firstValueFrom(
      events.pipe(
        filter((e) => e.ev !== 'recv'),
        take(1),
        timeout(10_000),
      ),
    ).catch((err: unknown) => ({ ev: 'error' as const, message: `${String(err)} ${stderr}` }));
    if (first.ev !== 'bound') {
      child.kill('SIGKILL');
      throw new CommandError(
        'ECMDFAIL',
        `UDP bind [${local.ip}]:${local.port} in ${this.pair.end(this.side).ns}: ${first.message}`,
      );
    }
    return new RelaySocket(child, { ip: local.ip, port: first.port }, events);
  }
}
