/**
 * The protocol core of the daemon: sockets, the IKE SA table, dispatch of received messages
 * (RFC 7296 section 2.21 for what is dropped and what is answered), the per-SA request queue with
 * its window (section 2.3, SET_WINDOW_SIZE) and retransmission (section 2.1), the response cache
 * for retransmitted requests, INVALID_MESSAGE_ID for requests beyond our window, IKE
 * fragmentation (RFC 7383) of what we send and reassembly of what we receive, and the CHILD_SA
 * install and removal in the kernel. Exchanges live in exchanges/*.ts.
 */
import {
  type AddressResolver,
  type Bus,
  type Clock,
  type CryptoProvider,
  type Datagram,
  type DatagramSocket,
  type Endpoint,
  type Ip,
  ipFamily,
  type KernelBackend,
  MultiMap,
  type SaData,
  type SaId,
  type Transport,
} from '@mip6sec/core';
import type { Subscription } from 'rxjs';
import { concat, equalBytes, spiHex, u32ToBytes } from './bytes.js';
import { ChildSaIndex } from './child-index.js';
import { ChildSa, type ChildSpec } from './child-sa.js';
import type { ResolvedDaemonConfig } from './config.js';
import {
  EXCHANGE,
  exchangeName,
  FLAG_INITIATOR,
  FLAG_RESPONSE,
  IKE_HEADER_LENGTH,
  NON_ESP_MARKER_LENGTH,
  NOTIFY,
  NOTIFY_STATUS_MIN,
  type NotifyName,
  notifyName,
  PROTOCOL,
} from './constants.js';
import { CookieJar } from './cookies.js';
import type { ChildKeys } from './crypto/keymat.js';
import type { Suite } from './crypto/proposals.js';
import { IkeError } from './errors.js';
import type { ExchangeTask } from './exchanges/task.js';
import { Reassembly } from './fragments.js';
import { formatIdentity as formatId } from './identity.js';
import type { CachedResponse, IkeSa, PendingRequest } from './ike-sa.js';
import { decodeHeader, decodeMessage, encodeMessage, type IkeHeader, type IkeMessage } from './message.js';
import { decodePayloads } from './payloads/chain.js';
import type { NotifyPayload, Payload, PayloadKind, PayloadOf } from './payloads/types.js';
import { Retransmitter } from './retransmit.js';
import { SpdImage } from './spd-image.js';
import { selectorFromRanges, type TsRange } from './traffic-selectors.js';

export interface EngineDeps {
  readonly config: ResolvedDaemonConfig;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly kernel: KernelBackend;
  readonly crypto: CryptoProvider;
  readonly transport: Transport;
  readonly resolver?: AddressResolver | undefined;
}

/** What a responder hands back: the response payloads and work to do once the response is out. */
export interface Reply {
  readonly payloads: Payload[];
  readonly after?: () => void | Promise<void>;
  /** False when the exchange failed (an error notify answered it). */
  readonly ok?: boolean;
}

export type RequestHandler = (
  sa: IkeSa,
  payloads: readonly Payload[],
  dgram: Datagram,
  local: Endpoint,
) => Promise<Reply>;

interface Waiter {
  resolve(sa: IkeSa): void;
  reject(e: unknown): void;
}

const MARKER = new Uint8Array(NON_ESP_MARKER_LENGTH);

export function notify(
  name: NotifyName,
  data: Uint8Array = new Uint8Array(0),
  spi?: { protocol: number; spi: Uint8Array },
): NotifyPayload {
  return {
    kind: 'N',
    protocol: spi?.protocol ?? PROTOCOL.NONE,
    spi: spi?.spi ?? new Uint8Array(0),
    notify: NOTIFY[name],
    data,
  };
}

export function findNotify(payloads: readonly Payload[], name: NotifyName): NotifyPayload | undefined {
  const type = NOTIFY[name];
  return payloads.find((p): p is NotifyPayload => p.kind === 'N' && p.notify === type);
}

export function allNotifies(payloads: readonly Payload[], name: NotifyName): NotifyPayload[] {
  const type = NOTIFY[name];
  return payloads.filter((p): p is NotifyPayload => p.kind === 'N' && p.notify === type);
}

/** The first error notify (type below 16384), if any. */
/** Whether an error code is an IKE error notify (RFC 7296 section 3.10.1, types below 16384). */
export function isErrorNotify(code: string): code is NotifyName {
  const type = (NOTIFY as Record<string, number>)[code];
  return type !== undefined && type < NOTIFY_STATUS_MIN;
}

export function errorNotify(payloads: readonly Payload[]): NotifyPayload | undefined {
  return payloads.find((p): p is NotifyPayload => p.kind === 'N' && p.notify < 16384);
}

export function first<K extends PayloadKind>(
  payloads: readonly Payload[],
  kind: K,
): PayloadOf<K> | undefined {
  return payloads.find((p) => p.kind === kind) as PayloadOf<K> | undefined;
}

function isUnspecified(ip: Ip): boolean {
  return ip === '0.0.0.0' || ip === '::';
}

export function ikeSpiText(sa: { spiI: bigint; spiR: bigint }): string {
  return `${spiHex(sa.spiI)}:${spiHex(sa.spiR)}`;
}

export class IkeEngine {
  readonly cfg: ResolvedDaemonConfig;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly kernel: KernelBackend;
  readonly crypto: CryptoProvider;
  readonly transport: Transport;
  readonly resolver: AddressResolver | undefined;
  readonly spd = new SpdImage();
  /** IKE SAs by their CHILD_SAs' traffic selectors (MIGRATE and ACQUIRE find a node's CHILD_SAs here). */
  readonly childIndex = new ChildSaIndex();
  /** IKE SAs by peer address, in the order they were registered (see sasWith). */
  private readonly byRemote = new MultiMap<Ip, IkeSa>();
  /** IKE SAs by the text of the peer's identity (INITIAL_CONTACT finds a peer's other SAs here). */
  private readonly byIdentity = new MultiMap<string, IkeSa>();
  private readonly registeredAt = new WeakMap<IkeSa, number>();
  private registrations = 0;
  readonly cookies: CookieJar;
  /** IKE SAs by the SPI this end chose. */
  readonly sas = new Map<bigint, IkeSa>();
  /** Responder SAs by initiator SPI and address, to answer IKE_SA_INIT retransmissions. */
  readonly responders = new Map<string, IkeSa>();
  /** Responder SAs not yet authenticated; their number switches cookies on. */
  readonly halfOpen = new Set<IkeSa>();
  readonly handlers = new Map<number, RequestHandler>();
  /** Handles IKE_SA_INIT requests, which arrive outside any SA. */
  initResponder:
    | ((msg: IkeMessage, raw: Uint8Array, dgram: Datagram, local: Endpoint) => Promise<void>)
    | undefined;
  private readonly waiters = new Map<IkeSa, Waiter[]>();
  /** Set by the daemon: timers (DPD, IKE rekey) to start once an SA is up. */
  afterEstablished: ((sa: IkeSa) => void) | undefined;
  private sockets: DatagramSocket[] = [];
  private readonly binding = new Map<string, Promise<DatagramSocket | undefined>>();
  readonly subscriptions: Subscription[] = [];
  private reqidCounter: number;
  private readonly reservedReqids = new Set<number>();
  private invalidSpiWindow = { at: -Infinity, count: 0 };
  running = false;
  /** Errors that did not belong to a caller (kernel refusals during a rekey, say), newest last. */
  readonly errors: { at: number; error: unknown }[] = [];

  constructor(d: EngineDeps) {
    this.cfg = d.config;
    this.bus = d.bus;
    this.clock = d.clock;
    this.kernel = d.kernel;
    this.crypto = d.crypto;
    this.transport = d.transport;
    this.resolver = d.resolver;
    this.cookies = new CookieJar(d.crypto, d.clock);
    this.reqidCounter = d.config.reqidBase;
  }

  // ---- sockets ------------------------------------------------------------------------------

  /**
   * Binds every listen address's IKE and NAT-T ports; rejects with the transport's error
   * (EADDRINUSE, EACCES, EADDRNOTAVAIL, ...) when one cannot be bound, keeping no socket.
   */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (const ip of this.cfg.listen) {
        for (const port of [this.cfg.port, this.cfg.nattPort]) await this.bind({ ip, port }, true);
      }
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const sa of this.sas.values()) {
      sa.cancelTimers();
      for (const p of sa.inflight) p.retransmitter.stop();
    }
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions.length = 0;
    for (const s of this.sockets) s.close();
    this.sockets = [];
    this.binding.clear();
  }

  /**
   * A socket on `local`, bound once. A failure is reported in `errors` and gives undefined (a
   * later send tries again), or with `strict` rejects with the transport's error.
   */
  private bind(local: Endpoint, strict = false): Promise<DatagramSocket | undefined> {
    const key = `${local.ip}|${local.port}`;
    const have = this.binding.get(key);
    if (have) return have;
    const bound = this.transport.bind(local).then((sock) => {
      this.sockets.push(sock);
      const sub = sock.messages.subscribe((d) => this.onDatagram(d, sock));
      this.subscriptions.push(sub);
      return sock;
    });
    const p = bound.catch((e: unknown) => {
      this.binding.delete(key);
      if (!strict) this.report(e);
      return undefined;
    });
    this.binding.set(key, p);
    return strict ? bound : p;
  }

  private socketFor(local: Endpoint): DatagramSocket | undefined {
    const exact = this.sockets.find((s) => s.local.ip === local.ip && s.local.port === local.port);
    if (exact) return exact;
    return this.sockets.find(
      (s) =>
        isUnspecified(s.local.ip) &&
        s.local.port === local.port &&
        ipFamily(s.local.ip) === ipFamily(local.ip),
    );
  }

  /** Sends an IKE message from `local` to `remote`, with the non-ESP marker on the NAT-T port. */
  sendRaw(local: Endpoint, remote: Endpoint, bytes: Uint8Array): void {
    if (!this.running) return;
    const data = local.port === this.cfg.nattPort ? concat(MARKER, bytes) : bytes;
    const sock = this.socketFor(local);
    if (sock) {
      sock.send(remote, data, local.ip);
      return;
    }
    // A local address we have no socket for yet (after MOBIKE or MIGRATE): bind one, then send.
    void this.bind(local).then((s) => s?.send(remote, data, local.ip));
  }

  send(sa: IkeSa, bytes: Uint8Array): void {
    this.sendRaw(sa.local, sa.remote, bytes);
  }

  /** Sends a message's datagrams (its fragments, or the one message) back to back. */
  sendAll(local: Endpoint, remote: Endpoint, datagrams: readonly Uint8Array[]): void {
    for (const b of datagrams) this.sendRaw(local, remote, b);
  }

  // ---- receiving ----------------------------------------------------------------------------

  private onDatagram(d: Datagram, sock: DatagramSocket): void {
    if (!this.running) return;
    let data = d.data;
    const local: Endpoint = {
      ip: isUnspecified(d.dst.ip) ? sock.local.ip : d.dst.ip,
      port: d.dst.port || sock.local.port,
    };
    if (local.port === this.cfg.nattPort) {
      // RFC 3948 section 2: one 0xFF octet is a keepalive; a non-zero SPI is ESP, not for us.
      if (
        data.length < NON_ESP_MARKER_LENGTH ||
        data[0] !== 0 ||
        data[1] !== 0 ||
        data[2] !== 0 ||
        data[3] !== 0
      )
        return;
      data = data.subarray(NON_ESP_MARKER_LENGTH);
    }
    let h: IkeHeader;
    try {
      h = decodeHeader(data);
    } catch (e) {
      this.answerBadHeader(e, data, d, local);
      return;
    }
    const response = (h.flags & FLAG_RESPONSE) !== 0;
    if (h.exchange === EXCHANGE.IKE_SA_INIT && !response) {
      let msg: IkeMessage;
      try {
        msg = decodeMessage(data);
      } catch (e) {
        this.answerUnprotected(h, e, d, local);
        return;
      }
      void this.initResponder?.(msg, data, d, local).catch((e) => this.report(e));
      return;
    }
    const fromOriginalInitiator = (h.flags & FLAG_INITIATOR) !== 0;
    const sa = this.sas.get(fromOriginalInitiator ? h.spiR : h.spiI);
    if (!sa) {
      if (!response) this.answerInvalidSpi(h, d, local);
      return;
    }
    // The I flag names the sender's role; it must be the other role than ours.
    if (sa.initiator === fromOriginalInitiator) return;
    if (h.exchange !== EXCHANGE.IKE_SA_INIT && (fromOriginalInitiator ? h.spiI : h.spiR) !== sa.peerSpi)
      return;
    void sa.serial(() => this.onSaMessage(sa, h, data, d, local)).catch((e) => this.report(e));
  }

  /** A header we cannot read: INVALID_MAJOR_VERSION is answered for an IKE_SA_INIT request (RFC 7296 section 2.5). */
  private answerBadHeader(e: unknown, data: Uint8Array, d: Datagram, local: Endpoint): void {
    if (!(e instanceof IkeError) || e.code !== 'INVALID_MAJOR_VERSION' || data.length < IKE_HEADER_LENGTH)
      return;
    if (data[18] !== EXCHANGE.IKE_SA_INIT || (data[19]! & FLAG_RESPONSE) !== 0) return;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const reply = encodeMessage({
      spiI: view.getBigUint64(0),
      spiR: 0n,
      exchange: EXCHANGE.IKE_SA_INIT,
      response: true,
      initiator: false,
      messageId: view.getUint32(20),
      payloads: [notify('INVALID_MAJOR_VERSION')],
    });
    this.sendRaw(local, d.src, reply);
  }

  /** An unprotected IKE_SA_INIT request we cannot parse: answer the error, keep nothing (RFC 7296 section 2.21.1). */
  private answerUnprotected(h: IkeHeader, e: unknown, d: Datagram, local: Endpoint): void {
    if (!(e instanceof IkeError)) return;
    const code: NotifyName =
      e.code === 'UNSUPPORTED_CRITICAL_PAYLOAD' ? 'UNSUPPORTED_CRITICAL_PAYLOAD' : 'INVALID_SYNTAX';
    this.sendRaw(
      local,
      d.src,
      encodeMessage({
        spiI: h.spiI,
        spiR: 0n,
        exchange: EXCHANGE.IKE_SA_INIT,
        response: true,
        initiator: false,
        messageId: h.messageId,
        payloads: [notify(code, e.notifyData)],
      }),
    );
  }

  /**
   * A request for an IKE SA we do not have: RFC 7296 section 2.21.4 lets us answer INVALID_IKE_SPI
   * unprotected, with the SPIs and Message ID copied; we do so at most ten times a second.
   */
  private answerInvalidSpi(h: IkeHeader, d: Datagram, local: Endpoint): void {
    const now = this.clock.now();
    if (now - this.invalidSpiWindow.at >= 1000) this.invalidSpiWindow = { at: now, count: 0 };
    if (this.invalidSpiWindow.count++ >= 10) return;
    this.sendRaw(
      local,
      d.src,
      encodeMessage({
        spiI: h.spiI,
        spiR: h.spiR,
        exchange: EXCHANGE.INFORMATIONAL,
        response: true,
        initiator: (h.flags & FLAG_INITIATOR) === 0,
        messageId: h.messageId,
        payloads: [notify('INVALID_IKE_SPI')],
      }),
    );
  }

  private async onSaMessage(
    sa: IkeSa,
    h: IkeHeader,
    data: Uint8Array,
    d: Datagram,
    local: Endpoint,
  ): Promise<void> {
    if (sa.state === 'dead') return;
    let msg: IkeMessage;
    try {
      msg = decodeMessage(data);
    } catch {
      // Unauthenticated garbage: drop it (RFC 7296 section 2.21.2), whatever it claims.
      return;
    }
    if ((h.flags & FLAG_RESPONSE) !== 0) await this.onResponse(sa, msg, data, d);
    else await this.onRequest(sa, msg, data, d, local);
  }

  /**
   * Opens a protected message: an SK payload at once, an SKF fragment into the reassembly buffer
   * of its message (`key`). Undefined while fragments are missing or when a fragment is refused;
   * throws as SkCipher.open does (EBADMSG: drop; INVALID_SYNTAX: authentic but malformed).
   * `first` is the request as a retransmission would repeat it (fragment 1 of a fragmented one).
   */
  private openProtected(
    sa: IkeSa,
    msg: IkeMessage,
    data: Uint8Array,
    key: string,
  ): { payloads: Payload[]; first: Uint8Array } | undefined {
    const opener = sa.opener!;
    const last = msg.payloads[msg.payloads.length - 1];
    if (last?.kind !== 'SKF') return { payloads: opener.open(data, msg), first: data.slice() };
    // Fragments are only taken where both ends said they would use them (RFC 7383 section 2.3).
    if (!sa.fragmentation) throw new IkeError('EBADMSG', 'fragment on an IKE SA without fragmentation');
    const f = opener.openFragment(data, msg);
    const limits = this.cfg.fragmentation;
    let r = sa.reassembly.get(key);
    if (!r) {
      r = new Reassembly(limits);
      sa.reassembly.set(key, r);
      sa.setTimer(
        `fragments ${key}`,
        this.clock.setTimeout(() => sa.reassembly.delete(key), limits.reassemblyTimeout),
      );
    }
    const added = r.add(f, data);
    if (added.kind === 'refused') {
      this.report(new IkeError('EBADMSG', `fragment ${f.fragment}/${f.total} dropped: ${added.why}`));
      return undefined;
    }
    if (added.kind !== 'complete') return undefined;
    const first = r.first!;
    sa.reassembly.delete(key);
    sa.timers.get(`fragments ${key}`)?.cancel();
    sa.timers.delete(`fragments ${key}`);
    const payloads = decodePayloads(added.content, 0, added.content.length, added.firstPayload, {
      encrypted: true,
    });
    return { payloads, first };
  }

  private async onResponse(sa: IkeSa, msg: IkeMessage, data: Uint8Array, d: Datagram): Promise<void> {
    const p = sa.inflight.find((x) => x.messageId === msg.messageId && x.task.exchange === msg.exchange);
    if (!p) return;
    let payloads: readonly Payload[];
    if (p.task.plain) {
      if (msg.payloads.some((x) => x.kind === 'SK' || x.kind === 'SKF')) return;
      payloads = msg.payloads;
    } else {
      if (!sa.opener) return;
      try {
        const opened = this.openProtected(sa, msg, data, `r|${msg.exchange}|${msg.messageId}`);
        if (!opened) return;
        payloads = opened.payloads;
      } catch (e) {
        if (!(e instanceof IkeError) || e.code === 'EBADMSG') return;
        // Authentic but malformed: the exchange is over and failed.
        this.finishTask(sa, p, false, e);
        p.task.fail(sa, e);
        this.runQueue(sa);
        return;
      }
    }
    sa.lastHeard = this.clock.now();
    p.received++;
    p.retransmitter.stop();
    let result: 'retry' | undefined;
    try {
      result = await p.task.handle(sa, payloads, data, d);
    } catch (e) {
      const error = e instanceof IkeError ? e : new IkeError('INVALID_SYNTAX', String(e), { cause: e });
      this.finishTask(sa, p, false, error);
      p.task.fail(sa, error);
      this.runQueue(sa);
      return;
    }
    if (result === 'retry' && (sa.state as string) !== 'dead') {
      await this.transmit(sa, p.task, p.messageId, p);
      return;
    }
    this.finishTask(sa, p, true);
    this.runQueue(sa);
  }

  /** Ends a request; a failure names the error notify behind it when there is one. */
  private finishTask(sa: IkeSa, p: PendingRequest, ok: boolean, error?: IkeError): void {
    const i = sa.inflight.indexOf(p);
    if (i < 0) return;
    sa.inflight.splice(i, 1);
    p.retransmitter.stop();
    const failure = error && isErrorNotify(error.code) ? error.code : undefined;
    this.bus.emit({
      type: 'ike.exchange',
      exchange: exchangeName(p.task.exchange),
      initiator: true,
      messages: p.sent + p.received,
      ok,
      ...(failure ? { notify: failure } : {}),
    });
  }

  private async onRequest(
    sa: IkeSa,
    msg: IkeMessage,
    data: Uint8Array,
    d: Datagram,
    local: Endpoint,
  ): Promise<void> {
    const mid = msg.messageId;
    const last = msg.payloads[msg.payloads.length - 1];
    const fragment = last?.kind === 'SKF' ? last.fragment : undefined;
    const cached = sa.responses.get(mid);
    if (cached) {
      // A retransmitted request gets the same response, byte for byte (RFC 7296 section 2.1); a
      // fragmented one when its first fragment comes again (RFC 7383 section 2.6.1).
      if ((fragment === undefined || fragment === 1) && equalBytes(cached.request, data))
        this.sendAll(local, d.src, cached.response);
      return;
    }
    if (mid < sa.nextPeerRequestId || sa.answered.has(mid)) return;
    if (mid >= sa.nextPeerRequestId + this.cfg.windowSize) {
      this.outOfWindow(sa, msg, data, mid);
      return;
    }
    if (!sa.opener || sa.state === 'connecting') return;
    let opened: { payloads: Payload[]; first: Uint8Array } | undefined;
    let reply: Reply | undefined;
    try {
      opened = this.openProtected(sa, msg, data, `q|${msg.exchange}|${mid}`);
      if (!opened) return;
    } catch (e) {
      if (!(e instanceof IkeError) || e.code === 'EBADMSG') return;
      const name =
        e.code === 'UNSUPPORTED_CRITICAL_PAYLOAD' ? 'UNSUPPORTED_CRITICAL_PAYLOAD' : 'INVALID_SYNTAX';
      reply = { payloads: [notify(name, e.notifyData)], ok: false };
    }
    sa.lastHeard = this.clock.now();
    if (opened) {
      const handler = this.handlers.get(msg.exchange);
      if (!handler) return;
      try {
        reply = await handler(sa, opened.payloads, d, local);
      } catch (e) {
        const code = e instanceof IkeError && e.code in NOTIFY ? (e.code as NotifyName) : 'INVALID_SYNTAX';
        if (!(e instanceof IkeError)) this.report(e);
        reply = { payloads: [notify(code, e instanceof IkeError ? e.notifyData : undefined)], ok: false };
      }
    }
    const datagrams = this.seal(
      sa,
      { exchange: msg.exchange, response: true, messageId: mid },
      reply!.payloads,
    );
    this.recordResponse(sa, mid, {
      messageId: mid,
      request: opened?.first ?? data.slice(),
      response: datagrams,
    });
    this.sendAll(local, d.src, datagrams);
    const refused = errorNotify(reply!.payloads);
    this.bus.emit({
      type: 'ike.exchange',
      exchange: exchangeName(msg.exchange),
      initiator: false,
      messages: 2,
      ok: reply!.ok !== false,
      ...(reply!.ok === false && refused ? { notify: notifyName(refused.notify) } : {}),
    });
    await reply!.after?.();
  }

  /**
   * Records the response to request `mid`, moves the window on, and forgets responses the peer
   * can no longer ask again for: those at or below `mid` less the window (RFC 7296 section 2.3).
   */
  private recordResponse(sa: IkeSa, mid: number, response: CachedResponse): void {
    sa.responses.set(mid, response);
    sa.answered.add(mid);
    while (sa.answered.has(sa.nextPeerRequestId)) sa.answered.delete(sa.nextPeerRequestId++);
    for (const id of sa.responses.keys()) if (id <= mid - this.cfg.windowSize) sa.responses.delete(id);
  }

  /**
   * A request beyond our window. It is never acknowledged; if it is authentic and the IKE SA is
   * up, the peer hears of it in an INFORMATIONAL request of ours carrying INVALID_MESSAGE_ID with
   * the Message ID, at most once per `invalidMessageIdInterval` (RFC 7296 sections 2.3, 3.10.1).
   */
  private outOfWindow(sa: IkeSa, msg: IkeMessage, data: Uint8Array, mid: number): void {
    const opener = sa.opener;
    if (!opener || sa.state !== 'established') return;
    try {
      const last = msg.payloads[msg.payloads.length - 1];
      if (last?.kind === 'SKF') opener.openFragment(data, msg);
      else opener.open(data, msg);
    } catch (e) {
      // Only an authentic message counts; one that is authentic but malformed still does.
      if (!(e instanceof IkeError) || e.code === 'EBADMSG') return;
    }
    const now = this.clock.now();
    if (now - sa.lastInvalidMessageId < this.cfg.invalidMessageIdInterval) return;
    sa.lastInvalidMessageId = now;
    this.report(
      new IkeError('INVALID_MESSAGE_ID', `request ${mid} is beyond our window on ${ikeSpiText(sa)}`),
    );
    this.enqueue(sa, {
      exchange: EXCHANGE.INFORMATIONAL,
      concurrent: true,
      build: async () => [notify('INVALID_MESSAGE_ID', u32ToBytes(mid))],
      handle: async () => undefined,
      fail: () => undefined,
    });
  }

  /** The largest IKE message we send to the peer in one datagram (RFC 7383 section 2.5.1). */
  maxMessageLength(sa: IkeSa): number {
    const f = this.cfg.fragmentation;
    const ip = ipFamily(sa.remote.ip) === 6 ? f.ipv6 - 40 : f.ipv4 - 20;
    return ip - 8 - (sa.local.port === this.cfg.nattPort ? NON_ESP_MARKER_LENGTH : 0);
  }

  /**
   * Protects a message: one datagram, or SKF fragments when it is larger than one datagram may
   * be and both ends use IKE fragmentation (RFC 7383 section 2.5).
   */
  seal(
    sa: IkeSa,
    m: { exchange: number; response: boolean; messageId: number },
    payloads: readonly Payload[],
  ): Uint8Array[] {
    const header = { spiI: sa.spiI, spiR: sa.spiR, initiator: sa.initiator, ...m };
    const whole = sa.sealer.seal(header, payloads);
    const max = this.maxMessageLength(sa);
    if (!sa.fragmentation || whole.length <= max) return [whole];
    return sa.sealer.sealFragments(header, payloads, max);
  }

  // ---- requests we send -----------------------------------------------------------------------

  /**
   * Sends one request and expects nothing back: a courtesy notify or Delete just before the SA goes
   * away (called while handling a response, or when abandoning the SA, so the window is not an issue).
   */
  sendOnce(sa: IkeSa, exchange: number, payloads: readonly Payload[]): void {
    if (!sa.keys) return;
    const datagrams = this.seal(sa, { exchange, response: false, messageId: sa.nextRequestId++ }, payloads);
    this.sendAll(sa.local, sa.remote, datagrams);
  }

  /** Queues an exchange; `front` puts it before those waiting (a retry, an IKE_AUTH after IKE_SA_INIT). */
  enqueue(sa: IkeSa, task: ExchangeTask, front = false): void {
    if (sa.state === 'dead') {
      task.fail(sa, new IkeError('ECANCELED', 'IKE SA is gone'));
      return;
    }
    if (front) sa.queue.unshift(task);
    else sa.queue.push(task);
    this.runQueue(sa);
  }

  runQueue(sa: IkeSa): void {
    const next = sa.queue[0];
    if (!next || sa.state === 'dead' || !this.running || !this.mayStart(sa, next)) return;
    void sa
      .serial(async () => {
        const task = sa.queue[0];
        if (!task || sa.state === 'dead' || !this.mayStart(sa, task)) return;
        sa.queue.shift();
        let payloads: Payload[] | undefined;
        try {
          payloads = await task.build(sa);
        } catch (e) {
          task.fail(sa, e instanceof IkeError ? e : new IkeError('EINVAL', String(e), { cause: e }));
          this.runQueue(sa);
          return;
        }
        if (!payloads || (sa.state as string) === 'dead') {
          this.runQueue(sa);
          return;
        }
        const mid = task.exchange === EXCHANGE.IKE_SA_INIT ? 0 : sa.nextRequestId++;
        await this.transmit(sa, task, mid, undefined, payloads);
        this.runQueue(sa);
      })
      .catch((e) => this.report(e));
  }

  /**
   * Whether `task` may start now: always on an idle SA; next to requests in flight only when it
   * and they are all `concurrent` and request X stays within the window, that is the responses up
   * to X - window are in (RFC 7296 section 2.3; the window is the smaller of ours and the peer's).
   */
  private mayStart(sa: IkeSa, task: ExchangeTask): boolean {
    const oldest = sa.inflight[0];
    if (!oldest) return true;
    if (!task.concurrent || sa.inflight.some((p) => !p.task.concurrent)) return false;
    const window = Math.min(sa.peerWindow, this.cfg.windowSize);
    return sa.nextRequestId - oldest.messageId < window;
  }

  /** Protects and sends a request and starts its retransmission; rebuilds it on an IKE_SA_INIT retry. */
  private async transmit(
    sa: IkeSa,
    task: ExchangeTask,
    messageId: number,
    previous?: PendingRequest,
    built?: Payload[],
  ): Promise<void> {
    let payloads = built;
    if (!payloads) {
      try {
        payloads = await task.build(sa);
      } catch (e) {
        if (previous) this.finishTask(sa, previous, false);
        task.fail(sa, e instanceof IkeError ? e : new IkeError('EINVAL', String(e)));
        return;
      }
      if (!payloads) {
        if (previous) this.finishTask(sa, previous, false);
        return;
      }
    }
    const header = {
      spiI: sa.spiI,
      spiR: sa.spiR,
      exchange: task.exchange,
      response: false,
      initiator: sa.initiator,
      messageId,
    };
    const datagrams = task.plain ? [encodeMessage({ ...header, payloads })] : this.seal(sa, header, payloads);
    if (task.exchange === EXCHANGE.IKE_SA_INIT) sa.initRequest = datagrams[0]!;
    previous?.retransmitter.stop();
    const retransmitter = new Retransmitter(this.clock, this.cfg.retransmit);
    const pending: PendingRequest = {
      task,
      messageId,
      datagrams,
      retransmitter,
      sent: previous?.sent ?? 0,
      received: previous?.received ?? 0,
    };
    const at = previous ? sa.inflight.indexOf(previous) : -1;
    if (at >= 0) sa.inflight[at] = pending;
    else sa.inflight.push(pending);
    retransmitter.start(
      () => {
        pending.sent++;
        for (const b of pending.datagrams) this.send(sa, b);
      },
      () => {
        void sa.serial(async () => {
          if (!sa.inflight.includes(pending)) return;
          const timeout = new IkeError(
            'ETIMEDOUT',
            `no response to ${exchangeName(task.exchange)} from ${sa.remote.ip}`,
          );
          this.finishTask(sa, pending, false);
          task.fail(sa, timeout);
          await this.destroy(sa, 'peer not responding', { cause: timeout });
        });
      },
    );
  }

  /**
   * Sends the requests in flight on an IKE SA again at once, from and to the addresses it has now.
   * Called when the SA has just moved (MOBIKE, a MIGRATE's kmaddress, an MSRD update): an answer
   * to the old address would never reach us, and waiting for the retransmission timer would stall
   * the exchange for seconds (RFC 4555 section 3.5 retransmits from the new address; responses go
   * to the source of the request, RFC 7296 section 2.11, so the peer's answer follows).
   */
  resendInflight(sa: IkeSa): void {
    if (sa.state === 'dead' || !this.running) return;
    for (const p of sa.inflight) p.retransmitter.resendNow();
  }

  // ---- IKE SA lifecycle -------------------------------------------------------------------------

  /** A fresh non-zero SPI no SA of ours uses. */
  newSpi(): bigint {
    for (;;) {
      const b = this.crypto.randomBytes(8);
      const spi = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0);
      if (spi !== 0n && !this.sas.has(spi)) return spi;
    }
  }

  register(sa: IkeSa): void {
    this.sas.set(sa.mySpi, sa);
    this.registeredAt.set(sa, ++this.registrations);
    this.byRemote.add(sa.remote.ip, sa);
    sa.onRemoteMoved = (moved, oldIp) => {
      this.byRemote.delete(oldIp, moved);
      if (moved.state !== 'dead') this.byRemote.add(moved.remote.ip, moved);
    };
    if (sa.remoteId) this.byIdentity.add(formatId(sa.remoteId), sa);
    sa.onRemoteIdSet = (named, old) => {
      if (old) this.byIdentity.delete(formatId(old), named);
      if (named.remoteId && named.state !== 'dead') this.byIdentity.add(formatId(named.remoteId), named);
    };
  }

  /** Resolves once the SA is established; rejects if it dies first. */
  waitFor(sa: IkeSa): Promise<IkeSa> {
    if (sa.state === 'established') return Promise.resolve(sa);
    if (sa.state === 'dead') return Promise.reject(deletedError(sa));
    return new Promise((resolve, reject) => {
      const list = this.waiters.get(sa) ?? [];
      list.push({ resolve, reject });
      this.waiters.set(sa, list);
    });
  }

  established(sa: IkeSa): void {
    // CHILD_SAs an IKE rekey handed over are filed under their new IKE SA.
    this.childIndex.addAll(sa);
    sa.state = 'established';
    sa.establishedAt = this.clock.now();
    this.halfOpen.delete(sa);
    sa.timers.get('half-open')?.cancel();
    sa.timers.delete('half-open');
    this.bus.emit({
      type: 'ike.sa-established',
      ikeSpi: ikeSpiText(sa),
      local: sa.local,
      remote: sa.remote,
      localId: sa.localId ? formatId(sa.localId) : '',
      remoteId: sa.remoteId ? formatId(sa.remoteId) : '',
      initiator: sa.initiator,
    });
    for (const w of this.waiters.get(sa) ?? []) w.resolve(sa);
    this.waiters.delete(sa);
    this.afterEstablished?.(sa);
  }

  /**
   * Ends an IKE SA locally: stops its timers and exchanges, removes its CHILD_SAs from the kernel
   * unless they moved to a rekeyed SA (`keepChildren`), and reports it deleted. `cause` is the
   * failure that ended it (a notify, ETIMEDOUT): whoever waits on the SA is rejected with its
   * code, else with ECANCELED.
   */
  async destroy(
    sa: IkeSa,
    reason: string,
    opts: { keepChildren?: boolean; silent?: boolean; cause?: IkeError } = {},
  ): Promise<void> {
    if (sa.state === 'dead') return;
    const wasEstablished = sa.establishedAt !== undefined;
    sa.state = 'dead';
    sa.deleteReason = reason;
    sa.cancelTimers();
    const inflight = sa.inflight.splice(0);
    for (const p of inflight) p.retransmitter.stop();
    sa.reassembly.clear();
    sa.deleteCause = opts.cause;
    // Built only when someone waits: an Error's stack costs more than the rest of a plain delete.
    let error: IkeError | undefined;
    const cancelled = () => (error ??= deletedError(sa));
    for (const p of inflight) p.task.fail(sa, cancelled());
    for (const t of sa.queue.splice(0)) t.fail(sa, cancelled());
    if (this.sas.get(sa.mySpi) === sa) this.sas.delete(sa.mySpi);
    this.childIndex.remove(sa);
    this.byRemote.delete(sa.remote.ip, sa);
    if (sa.remoteId) this.byIdentity.delete(formatId(sa.remoteId), sa);
    if (sa.initKey && this.responders.get(sa.initKey) === sa) this.responders.delete(sa.initKey);
    this.halfOpen.delete(sa);
    if (!opts.keepChildren) {
      await Promise.all(sa.children.map((c) => this.removeChild(c)));
    }
    for (const w of this.waiters.get(sa) ?? []) w.reject(cancelled());
    this.waiters.delete(sa);
    if (!opts.silent && (wasEstablished || sa.initiator)) {
      this.bus.emit({ type: 'ike.sa-deleted', ikeSpi: ikeSpiText(sa), reason });
    }
  }

  // ---- CHILD_SAs in the kernel ---------------------------------------------------------------------

  /**
   * The next reqid no CHILD_SA or SPD template uses. The counter only grows, so what it handed out
   * before is never a candidate again; only reqids from elsewhere (SPD templates, configuration)
   * at or above it can be taken. Those of CHILD_SAs are kept in `reservedReqids` as they are
   * installed, so a responder holding thousands of SAs does not scan them per CHILD_SA.
   */
  allocateReqid(): number {
    const inSpd = (reqid: number): boolean => {
      for (const p of this.spd.all()) for (const t of p.templates) if (t.reqid === reqid) return true;
      return false;
    };
    while (this.reservedReqids.has(this.reqidCounter) || inSpd(this.reqidCounter)) {
      this.reservedReqids.delete(this.reqidCounter);
      this.reqidCounter++;
    }
    return this.reqidCounter++;
  }

  /** Notes a CHILD_SA's reqid the counter has not passed yet, so it is never handed out. */
  private reserveReqid(reqid: number): void {
    if (reqid >= this.reqidCounter) this.reservedReqids.add(reqid);
  }

  /**
   * Kernel SA endpoints of a CHILD_SA: the IKE SA's addresses, except a transport-mode SA between
   * two single hosts other than the IKE endpoints (the MIPv6 HoA case, strongSwan's
   * transport_proxy), which is installed for the selectors' addresses.
   */
  childEndpoints(
    sa: IkeSa,
    mode: 'tunnel' | 'transport',
    local: readonly TsRange[],
    remote: readonly TsRange[],
  ): { local: Ip; remote: Ip } {
    const l = local[0];
    const r = remote[0];
    if (
      mode === 'transport' &&
      local.length === 1 &&
      remote.length === 1 &&
      l &&
      r &&
      l.start === l.end &&
      r.start === r.end &&
      l.family === r.family
    ) {
      const sel = selectorFromRanges(l, r);
      return { local: sel.src.addr, remote: sel.dst.addr };
    }
    return { local: sa.local.ip, remote: sa.remote.ip };
  }

  /** Seconds until the soft expire: the rekey time less a random part, so both ends rarely rekey at once. */
  softSeconds(rekeySeconds: number): number {
    if (rekeySeconds <= 0) return 0;
    const jitter = this.cfg.rekeyJitter;
    if (jitter <= 0) return rekeySeconds;
    const r = this.crypto.randomBytes(2);
    const frac = ((r[0]! << 8) | r[1]!) / 0xffff;
    return Math.max(1, Math.round(rekeySeconds * (1 - jitter * frac)));
  }

  /**
   * Installs both SAs of a CHILD_SA (completing the larval inbound SA getSpi made) and records it.
   * `initiatorOfExchange` picks the keys: the exchange initiator sends with encr_i/integ_i.
   */
  async installChild(
    sa: IkeSa,
    x: {
      spec: ChildSpec;
      suite: Suite;
      reqid: number;
      reqidIn: number;
      spiIn: number;
      spiOut: number;
      larval: SaId;
      localTs: readonly TsRange[];
      remoteTs: readonly TsRange[];
      keys: ChildKeys;
      initiatorOfExchange: boolean;
      rekeyOf?: ChildSa;
    },
  ): Promise<ChildSa> {
    const ep = this.childEndpoints(sa, x.spec.mode, x.localTs, x.remoteTs);
    // ESP goes in UDP only when a NAT is there (or faked): MOBIKE alone moves IKE to 4500, not ESP.
    const encap = sa.natLocal || sa.natRemote ? { local: sa.local.port, remote: sa.remote.port } : undefined;
    const keys = x.initiatorOfExchange
      ? { encOut: x.keys.encI, integOut: x.keys.integI, encIn: x.keys.encR, integIn: x.keys.integR }
      : { encOut: x.keys.encR, integOut: x.keys.integR, encIn: x.keys.encI, integIn: x.keys.integI };
    const child = new ChildSa({
      spec: x.spec,
      suite: x.suite,
      reqid: x.reqid,
      reqidIn: x.reqidIn,
      spiIn: x.spiIn,
      spiOut: x.spiOut,
      local: ep.local,
      remote: ep.remote,
      localTs: x.localTs,
      remoteTs: x.remoteTs,
      encap,
      keys,
      createdAt: this.clock.now(),
      ...(x.rekeyOf ? { rekeyOf: x.rekeyOf } : {}),
    });
    const soft = this.softSeconds(x.spec.rekeySeconds);
    const limits = (seconds: number) => ({ addSeconds: seconds, bytes: 0, packets: 0 });
    const data = (dir: 'in' | 'out'): SaData => {
      const l = x.localTs[0];
      const r = x.remoteTs[0];
      const selector =
        l && r && x.localTs.length === 1 && x.remoteTs.length === 1
          ? dir === 'out'
            ? selectorFromRanges(l, r)
            : selectorFromRanges(r, l)
          : undefined;
      const enc = { alg: x.suite.encr, key: dir === 'in' ? keys.encIn : keys.encOut };
      return {
        mode: x.spec.mode,
        reqid: dir === 'in' ? x.reqidIn : x.reqid,
        enc,
        ...(x.suite.integ
          ? { integ: { alg: x.suite.integ, key: dir === 'in' ? keys.integIn : keys.integOut } }
          : {}),
        replayWindow: x.spec.replayWindow,
        esn: x.suite.esn ?? false,
        ...(soft ? { soft: limits(soft) } : {}),
        ...(x.spec.lifetimeSeconds ? { hard: limits(x.spec.lifetimeSeconds) } : {}),
        ...(encap
          ? {
              encap:
                dir === 'in'
                  ? { sport: encap.remote, dport: encap.local }
                  : { sport: encap.local, dport: encap.remote },
            }
          : {}),
        ...(selector ? { selector } : {}),
      };
    };
    const inbound = child.inboundId();
    try {
      if (x.larval.src !== inbound.src || x.larval.dst !== inbound.dst) {
        // Narrowing moved the SA to other hosts than getSpi was asked for: drop the larval SA.
        await this.kernel.delSa(x.larval).catch(() => undefined);
      }
      await this.kernel.addSa(inbound, data('in'));
      await this.kernel.addSa(child.outboundId(), data('out'));
    } catch (e) {
      await this.kernel.delSa(inbound).catch(() => undefined);
      await this.kernel.delSa(child.outboundId()).catch(() => undefined);
      throw e;
    }
    sa.children.push(child);
    this.childIndex.add(sa, child);
    this.reserveReqid(child.reqid);
    this.reserveReqid(child.reqidIn);
    this.bus.emit({
      type: 'ike.child-installed',
      ikeSpi: ikeSpiText(sa),
      reqid: child.reqid,
      inbound,
      outbound: child.outboundId(),
      rekey: x.rekeyOf !== undefined,
    });
    return child;
  }

  /** Deletes both kernel SAs of a CHILD_SA (a missing one is fine: it may have expired). */
  async removeChild(child: ChildSa): Promise<void> {
    if (child.state === 'deleted') return;
    child.state = 'deleted';
    await Promise.all([
      this.kernel.delSa(child.inboundId()).catch(() => undefined),
      this.kernel.delSa(child.outboundId()).catch(() => undefined),
    ]);
  }

  /** Forgets deleted CHILD_SAs of an SA. */
  prune(sa: IkeSa): void {
    for (let i = sa.children.length - 1; i >= 0; i--)
      if (sa.children[i]!.state === 'deleted') sa.children.splice(i, 1);
  }

  report(error: unknown): void {
    this.errors.push({ at: this.clock.now(), error });
    if (this.errors.length > 100) this.errors.shift();
  }

  /** Finds the IKE SA for `ikeSpi` text (as events carry it). */
  find(ikeSpi: string): IkeSa | undefined {
    for (const sa of this.sas.values()) if (ikeSpiText(sa) === ikeSpi) return sa;
    return undefined;
  }

  /** Responder SAs between IKE_SA_INIT and IKE_AUTH (RFC 7296 section 2.6 "half-open"). */
  halfOpenCount(): number {
    return this.halfOpen.size;
  }

  /** Established or connecting SAs with this peer address, in the order they were registered. */
  sasWith(remote: Ip, local?: Ip): IkeSa[] {
    return this.inRegistrationOrder(
      [...this.byRemote.get(remote)].filter(
        (sa) =>
          this.sas.get(sa.mySpi) === sa &&
          sa.state !== 'dead' &&
          sa.remote.ip === remote &&
          (local === undefined || sa.local.ip === local),
      ),
    );
  }

  /** The live IKE SAs whose peer authenticated as `identity` (canonical text), in table order. */
  sasWithIdentity(identity: string): IkeSa[] {
    return this.inRegistrationOrder(
      [...this.byIdentity.get(identity)].filter(
        (sa) =>
          this.sas.get(sa.mySpi) === sa &&
          sa.state !== 'dead' &&
          sa.remoteId !== undefined &&
          formatId(sa.remoteId) === identity,
      ),
    );
  }

  /** SAs in the order they were registered, the order of the SA table. */
  inRegistrationOrder(sas: Iterable<IkeSa>): IkeSa[] {
    const order = (sa: IkeSa) => this.registeredAt.get(sa) ?? 0;
    return [...sas].sort((a, b) => order(a) - order(b));
  }
}

/** Why waiting on a dead SA fails: the notify or ETIMEDOUT that ended it, else ECANCELED. */
function deletedError(sa: IkeSa): IkeError {
  const cause = sa.deleteCause;
  return new IkeError(cause?.code ?? 'ECANCELED', `IKE SA deleted: ${sa.deleteReason ?? 'failed'}`, {
    ...(cause ? { cause } : {}),
  });
}

export function initKey(spiI: bigint, remote: Endpoint): string {
  return `${spiHex(spiI)}|${remote.ip}|${remote.port}`;
}
