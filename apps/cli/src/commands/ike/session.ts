/**
 * `mip6sec ike initiate` and `mip6sec ike respond`: one daemon with one peer on real UDP. With
 * --once they print the first IKE SA with its CHILD_SA and exit (status 1 and the notify that
 * caused it when negotiation fails); without, they serve until SIGINT or SIGTERM, printing events.
 */
import { type BusEvent, ipFamily } from '@mip6sec/core';
import type { IkeSaListing } from '@mip6sec/ike';
import { InputError, stringify } from '../../io.js';
import {
  type AuthFailure,
  authFromFlags,
  daemonConfig,
  type PeerFlags,
  peerConfig,
  watchedAuthenticator,
} from './config.js';
import { formatIkeEndpoint, type IkeEndpoint, parseEndpoint, sourceAddressFor } from './endpoint.js';
import { asCommandError, IkeCommandError } from './failure.js';
import { formatEvent, formatListing } from './format.js';
import { PortView } from './port-view.js';
import { type CliDaemon, startDaemon } from './runtime.js';

/** Options of initiate and respond beyond the peer's. */
export interface SessionFlags extends PeerFlags {
  local?: string;
  remote?: string;
  nattPort?: number;
  remoteNattPort?: number;
  once?: boolean;
  json?: boolean;
  showKeys?: boolean;
  /** initiate --once: delete the IKE SA before exiting (default true; --no-delete). */
  delete: boolean;
  /** Seconds --once waits for the IKE SA before failing with ETIMEDOUT. */
  timeout?: number;
  kernel: string;
}

/** How long a daemon that exits waits for DELETE answers (or, as a --once responder, for the DELETE). */
const FAREWELL_MS = 2000;

/** How long event lines wait to be written together. */
const EVENT_FLUSH_MS = 50;

/**
 * Prints what the verbs report: text, or one JSON object a line with --json. Event lines are
 * gathered and written together at most EVENT_FLUSH_MS later: a busy responder prints several per
 * IKE SA, and a write (a system call on a pipe) per line cost more than the rest of the printing.
 */
class Output {
  private pending = '';
  private flushScheduled = false;

  constructor(
    private readonly json: boolean,
    private readonly view: PortView,
  ) {}

  line(text: string, json: Record<string, unknown>): void {
    this.flush();
    process.stdout.write(`${this.json ? stringify(json, false) : text}\n`);
  }

  /** Writes the event lines gathered so far. */
  flush(): void {
    if (this.pending === '') return;
    const text = this.pending;
    this.pending = '';
    process.stdout.write(text);
  }

  private later(text: string): void {
    this.pending += `${text}\n`;
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setTimeout(() => {
      this.flushScheduled = false;
      this.flush();
    }, EVENT_FLUSH_MS);
  }

  listing(sa: IkeSaListing): void {
    const shown = this.view.listing(sa);
    this.line(formatListing(shown), { type: 'ike.sa', ...shown });
  }

  event(e: BusEvent): void {
    const shown = this.view.event(e);
    if (this.json) this.later(stringify(shown, false));
    else {
      const text = formatEvent(shown);
      if (text !== undefined) this.later(text);
    }
  }

  listening(local: IkeEndpoint): void {
    this.line(
      `listening on ${formatIkeEndpoint(local)} and ${formatIkeEndpoint({ ip: local.ip, port: local.nattPort })}`,
      {
        type: 'listening',
        ip: local.ip,
        port: local.port,
        nattPort: local.nattPort,
      },
    );
  }
}

function sameFamily(local: IkeEndpoint, remote: IkeEndpoint): void {
  if (ipFamily(local.ip) !== ipFamily(remote.ip))
    throw new InputError(
      'EINVAL',
      `--local ${local.ip} and --remote ${remote.ip} are not of one address family`,
    );
}

/** Resolves when SIGINT or SIGTERM arrives. */
function signalled(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(s);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** Rejects with ETIMEDOUT after `seconds` (never when undefined). */
function deadline(seconds: number | undefined, what: string): { promise: Promise<never>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_, reject) => {
    if (seconds !== undefined)
      timer = setTimeout(
        () => reject(new IkeCommandError('ETIMEDOUT', `${what} within ${seconds} s`)),
        seconds * 1000,
      );
  });
  promise.catch(() => undefined);
  return { promise, cancel: () => clearTimeout(timer) };
}

function listingOf(cli: CliDaemon, ikeSpi: string, keys: boolean): IkeSaListing | undefined {
  return cli.daemon.listSas({ keys }).find((s) => s.ikeSpi === ikeSpi);
}

/** Prints events until SIGINT or SIGTERM (`stop`), then deletes the IKE SAs and stops. */
async function serve(cli: CliDaemon, out: Output, stop: Promise<NodeJS.Signals>): Promise<void> {
  const sub = cli.bus.events.subscribe((e) => {
    if (e.type.startsWith('ike.')) out.event(e);
  });
  await stop;
  sub.unsubscribe();
  out.flush();
  await cli.shutdown(FAREWELL_MS);
}

/** Rejects with EINTR when `stop` resolves first. */
function interrupted(stop: Promise<NodeJS.Signals>, what: string): Promise<never> {
  return stop.then((s) => {
    throw new IkeCommandError('EINTR', `${s} ${what}`);
  });
}

export async function initiate(flags: SessionFlags): Promise<void> {
  if (flags.remote === undefined) throw new InputError('EINVAL', 'give --remote ADDR[:PORT]');
  const remote = parseEndpoint(flags.remote, '--remote', flags.remoteNattPort);
  const local = flags.local
    ? parseEndpoint(flags.local, '--local', flags.nattPort)
    : parseEndpoint(await sourceAddressFor(remote.ip), '--local', flags.nattPort);
  sameFamily(local, remote);
  const peer = peerConfig(flags, await authFromFlags(flags), local.ip, remote);
  const out = new Output(flags.json === true, new PortView(local, remote));
  // Armed before anything is printed: whoever reads our output may signal us at once.
  const stop = signalled();
  const cli = await startDaemon(daemonConfig(local.ip, [peer]), local, remote);
  const limit = deadline(flags.timeout, `no IKE_SA with ${formatIkeEndpoint(remote)}`);
  let sa: IkeSaListing;
  try {
    const r = await Promise.race([
      cli.daemon.initiate(peer.name),
      limit.promise,
      interrupted(stop, 'before the IKE_SA was up'),
    ]);
    const failed = r.failures[0];
    if (failed) throw new IkeCommandError(failed.code, `CHILD_SA ${failed.child} refused: ${failed.message}`);
    sa = listingOf(cli, r.ike.ikeSpi, flags.showKeys === true) ?? r.ike;
  } catch (e) {
    await cli.shutdown(0);
    throw e instanceof IkeCommandError || e instanceof InputError
      ? e
      : asCommandError(e, `IKE_SA with ${formatIkeEndpoint(remote)}`);
  } finally {
    limit.cancel();
  }
  out.listing(sa);
  if (flags.once) {
    if (flags.delete) await cli.shutdown(FAREWELL_MS);
    else await cli.stop();
    return;
  }
  await serve(cli, out, stop);
}

/**
 * Waits for the first IKE SA a peer brings up through us, with its CHILD_SA; rejects with the
 * reason when its IKE_AUTH fails.
 */
function firstSa(cli: CliDaemon, failures: AuthFailure[]): Promise<string> {
  return new Promise((resolve, reject) => {
    let established: string | undefined;
    const sub = cli.bus.events.subscribe((e) => {
      if (e.type === 'ike.sa-established' && !e.initiator) {
        established = e.ikeSpi;
        return;
      }
      if (e.type !== 'ike.exchange' || e.exchange !== 'IKE_AUTH' || e.initiator) return;
      sub.unsubscribe();
      const failure = failures.at(-1);
      if (e.ok && established) resolve(established);
      else if (failure)
        reject(
          new IkeCommandError(
            'AUTHENTICATION_FAILED',
            `peer '${failure.remoteId}' failed authentication: ${failure.reason}`,
          ),
        );
      else
        reject(
          new IkeCommandError(
            e.notify ?? 'EPROTO',
            'IKE_AUTH refused: no peer configuration matches the identities, or the request was malformed',
          ),
        );
    });
  });
}

export async function respond(flags: SessionFlags): Promise<void> {
  if (flags.local === undefined) throw new InputError('EINVAL', 'give --local ADDR[:PORT] to listen on');
  const local = parseEndpoint(flags.local, '--local', flags.nattPort);
  const remote = flags.remote ? parseEndpoint(flags.remote, '--remote', flags.remoteNattPort) : undefined;
  if (remote) sameFamily(local, remote);
  const failures: AuthFailure[] = [];
  const auth = watchedAuthenticator(await authFromFlags(flags), (f) => failures.push(f));
  const out = new Output(flags.json === true, new PortView(local, remote));
  const stop = signalled();
  const cli = await startDaemon(
    daemonConfig(local.ip, [peerConfig(flags, auth, local.ip, remote)]),
    local,
    remote,
  );
  out.listening(local);
  if (!flags.once) {
    await serve(cli, out, stop);
    return;
  }
  const limit = deadline(flags.timeout, 'no peer brought an IKE_SA up');
  let ikeSpi: string;
  try {
    ikeSpi = await Promise.race([
      firstSa(cli, failures),
      limit.promise,
      interrupted(stop, 'before any IKE_SA was up'),
    ]);
  } catch (e) {
    await cli.shutdown(0);
    throw e;
  } finally {
    limit.cancel();
  }
  const sa = listingOf(cli, ikeSpi, flags.showKeys === true);
  if (!sa || sa.children.length === 0) {
    await cli.shutdown(FAREWELL_MS);
    throw new IkeCommandError(
      'ENOENT',
      `IKE_SA ${ikeSpi} is up but no CHILD_SA was made (the peer's ESP proposals or selectors were refused)`,
    );
  }
  out.listing(sa);
  // The initiator usually deletes the IKE SA next; answering it spares it retransmissions.
  const deleted = new Promise<void>((resolve) => {
    const sub = cli.bus.on('ike.sa-deleted').subscribe((e) => {
      if (e.ikeSpi === ikeSpi) {
        sub.unsubscribe();
        resolve();
      }
    });
    setTimeout(() => {
      sub.unsubscribe();
      resolve();
    }, FAREWELL_MS).unref();
  });
  await deleted;
  await cli.stop();
}
