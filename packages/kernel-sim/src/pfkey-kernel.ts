/**
 * The simulated kernel: SPD, SAD, PAD, pending acquisitions, lifetimes and the datapath, driven by a core
 * Clock, and the PF_KEY sockets key managers talk to it through. A write is processed synchronously:
 * the base header is checked as pfkey_get_base_msg does (its failures are the write's own errno), then
 * the message is decoded with Linux's per-type rules and dispatched; any later failure becomes the error
 * reply Linux sends (the request's header with sadb_msg_errno set). Broadcasts follow af_key.c's classes
 * (see kernel-context.ts).
 */
import type { Clock, CryptoProvider, Ip, SecurityAssociation } from '@mip6sec/core';
import { createCryptoProvider } from '@mip6sec/crypto';
import {
  decode,
  ERRNO,
  encode,
  PF_KEY_V2,
  PfkeyError,
  type PfkeyMessage,
  type PfkeyMessageInit,
  SADB_MAX,
  SADB_X_PROMISC,
} from '@mip6sec/pfkey-codec';
import { AcquireTable, DEFAULT_ACQ_EXPIRES } from './acquire.js';
import { Datapath } from './datapath.js';
import { codeOf, fail } from './errors.js';
import type { BroadcastClass, KernelContext } from './kernel-context.js';
import { type ExpireKind, Lifetimes } from './lifetimes.js';
import type { MigrateLookup } from './migrate.js';
import { Pad } from './pad.js';
import { raiseAcquire, raiseExpire, SAD_HANDLERS } from './pfkey-sad.js';
import { DEFAULT_RCVBUF, type PfkeyEndpoint, PfkeySocket } from './pfkey-socket.js';
import { SPD_HANDLERS } from './pfkey-spd.js';
import { Sad, type SaRecord, SpiRandom, toSecurityAssociation } from './sad.js';
import { type PolicyRecord, Spd } from './spd.js';

export interface PfkeyKernelOptions {
  readonly clock: Clock;
  /** ESP crypto; a native provider (node:crypto) by default. */
  readonly crypto?: CryptoProvider;
  /** Seconds a larval SA (from ACQUIRE or GETSPI) lives (Linux net.core.xfrm_acq_expires); default 30. */
  readonly acqExpires?: number;
  /** How MIGRATE finds its policy: 'exact' selector (the draft, Linux < 6.12; default) or 'flow' (6.12+). */
  readonly migrateLookup?: MigrateLookup;
  /** Seed of the SPI choice, so runs replay identically. */
  readonly spiSeed?: number;
  /** Receive buffer of each socket, in bytes. */
  readonly rcvbuf?: number;
  /** The host's addresses (packets for others are forwarded); empty means every address is local. */
  readonly localAddresses?: readonly Ip[];
}

type Handler = (k: KernelContext, sock: PfkeySocket, msg: PfkeyMessage) => void;

const HANDLERS: Readonly<Record<number, Handler>> = { ...SAD_HANDLERS, ...SPD_HANDLERS };

const KERNEL = { origin: 'kernel' } as const;

/** A deep, comparable picture of the kernel's state (property tests compare two of them). */
export interface KernelSnapshot {
  readonly policies: readonly PolicyRecord[];
  readonly sas: readonly (SecurityAssociation & {
    readonly replayTop: { hi: number; lo: number };
    readonly acqSeq: number;
  })[];
  readonly acquires: readonly { seq: number; src: string; dst: string; failed: boolean }[];
}

export class PfkeyKernel implements PfkeyEndpoint {
  readonly clock: Clock;
  readonly spd = new Spd();
  readonly sad = new Sad();
  readonly pad = new Pad();
  readonly acquires: AcquireTable;
  readonly lifetimes: Lifetimes;
  readonly datapath: Datapath;
  readonly crypto: CryptoProvider;
  private readonly ctx: KernelContext;
  private readonly sockets = new Map<number, PfkeySocket>();
  private socketGen = 0;
  private readonly rcvbuf: number;

  constructor(options: PfkeyKernelOptions) {
    this.clock = options.clock;
    this.crypto = options.crypto ?? createCryptoProvider();
    this.rcvbuf = options.rcvbuf ?? DEFAULT_RCVBUF;
    this.acquires = new AcquireTable(this.clock, options.acqExpires ?? DEFAULT_ACQ_EXPIRES);
    this.lifetimes = new Lifetimes(this.clock, (sa, kind) => this.expire(sa, kind));
    this.ctx = {
      clock: this.clock,
      spd: this.spd,
      sad: this.sad,
      pad: this.pad,
      acquires: this.acquires,
      lifetimes: this.lifetimes,
      spiRandom: new SpiRandom(options.spiSeed ?? 1),
      migrateLookup: options.migrateLookup ?? 'exact',
      broadcast: (msg, cls, one) => this.broadcast(msg, cls, one),
      hasRegistered: () => [...this.sockets.values()].some((s) => s.registered !== 0),
    };
    this.datapath = new Datapath({
      spd: this.spd,
      sad: this.sad,
      acquires: this.acquires,
      lifetimes: this.lifetimes,
      crypto: this.crypto,
      hooks: { acquire: (policy, t, src, dst, key) => raiseAcquire(this.ctx, policy, t, src, dst, key) },
    });
    if (options.localAddresses) this.datapath.setLocalAddresses(options.localAddresses);
  }

  /** Seconds larval SAs live; changeable at run time like the sysctl. */
  get acqExpires(): number {
    return this.acquires.acqExpires;
  }

  set acqExpires(seconds: number) {
    this.acquires.acqExpires = seconds;
  }

  /** socket(AF_KEY, SOCK_RAW, PF_KEY_V2). */
  openSocket(name?: string): PfkeySocket {
    const id = ++this.socketGen;
    const sock = new PfkeySocket(this, id, name ?? `pfkey${id}`, this.rcvbuf);
    this.sockets.set(id, sock);
    return sock;
  }

  get socketCount(): number {
    return this.sockets.size;
  }

  detach(sock: PfkeySocket): void {
    this.sockets.delete(sock.id);
  }

  process(sock: PfkeySocket, bytes: Uint8Array): void {
    checkBaseHeader(bytes);
    // Promiscuous sockets see every request (BROADCAST_PROMISC_ONLY in pfkey_process).
    for (const s of this.sockets.values()) if (s.promisc) s.deliver(bytes.slice());
    let msg: PfkeyMessage;
    try {
      msg = decode(bytes, { origin: 'user' });
    } catch (e) {
      this.replyError(sock, bytes, e instanceof PfkeyError ? e.code : 'EINVAL');
      return;
    }
    try {
      if (msg.type === SADB_X_PROMISC) this.promisc(sock, msg);
      else {
        const handler = HANDLERS[msg.type];
        if (!handler) fail('EOPNOTSUPP', `no handler for message type ${msg.type}`);
        handler(this.ctx, sock, msg);
      }
    } catch (e) {
      this.replyError(sock, bytes, codeOf(e));
    }
  }

  /** Encodes a kernel message and delivers it per af_key.c's broadcast class. */
  broadcast(msg: PfkeyMessageInit, cls: BroadcastClass, one?: PfkeySocket): boolean {
    // The codec gives every message one object shape (with its defaults) before it reads it.
    const bytes = encode(msg, KERNEL);
    // Each recipient gets a copy of its own, except the last one, which gets the encoded bytes
    // themselves (nothing else holds them): the usual broadcast reaches one socket, and then no
    // copy is made at all. Deliveries keep af_key.c's order.
    const recipient = (s: PfkeySocket): boolean =>
      s !== one && cls !== 'one' && (cls !== 'registered' || s.registered !== 0);
    let last = one;
    if (!last) for (const s of this.sockets.values()) if (recipient(s)) last = s;
    let reached = false;
    for (const s of this.sockets.values()) {
      // A promiscuous socket gets a copy of everything, and a second one if it is also a recipient.
      if (s.promisc) s.deliver(bytes.slice());
      if (recipient(s) && s.deliver(s === last ? bytes : bytes.slice())) reached = true;
    }
    if (one?.deliver(bytes)) reached = true;
    return reached;
  }

  /** The kernel's state as a comparable value (deep copies). */
  snapshot(): KernelSnapshot {
    return {
      policies: this.spd.dump().map((p) => structuredClone(p)),
      sas: this.sad.all().map((r) => ({
        ...structuredClone(toSecurityAssociation(r)),
        replayTop: r.replay.top,
        acqSeq: r.acqSeq,
      })),
      acquires: this.acquires
        .entries()
        .map((a) => ({ seq: a.seq, src: a.src, dst: a.dst, failed: a.failed })),
    };
  }

  /** Stops every timer and closes every socket. */
  close(): void {
    this.lifetimes.stopAll();
    this.acquires.clear();
    for (const s of [...this.sockets.values()]) s.close();
  }

  private expire(sa: SaRecord, kind: ExpireKind): void {
    raiseExpire(this.ctx, sa, kind);
  }

  // SADB_X_PROMISC: a header-only message toggles promiscuous mode; either way the message goes to all.
  private promisc(sock: PfkeySocket, msg: PfkeyMessage): void {
    if (msg.extensions.length === 0) sock.promisc = msg.satype === 1;
    this.broadcast({ ...msg, errno: 0 }, 'all');
  }

  private replyError(sock: PfkeySocket, request: Uint8Array, code: string): void {
    const errno = (ERRNO as Record<string, number>)[code] ?? ERRNO.EINVAL;
    const dv = new DataView(request.buffer, request.byteOffset, request.byteLength);
    this.broadcast(
      {
        type: request[1]!,
        errno,
        satype: request[3]!,
        seq: dv.getUint32(8, true),
        pid: dv.getUint32(12, true),
      },
      'one',
      sock,
    );
  }
}

/** af_key.c pfkey_get_base_msg: what makes send() itself fail. */
function checkBaseHeader(bytes: Uint8Array): void {
  if (bytes.length < 16) fail('EMSGSIZE', `${bytes.length} bytes is shorter than sadb_msg`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = bytes[1]!;
  if (bytes[0] !== PF_KEY_V2 || dv.getUint16(6, true) !== 0 || type === 0 || type > SADB_MAX) {
    fail('EINVAL', 'bad sadb_msg version, reserved field or type');
  }
  const words = dv.getUint16(4, true);
  if (words !== Math.floor(bytes.length / 8) || words < 2)
    fail('EMSGSIZE', `sadb_msg_len ${words} does not match ${bytes.length} bytes`);
}
