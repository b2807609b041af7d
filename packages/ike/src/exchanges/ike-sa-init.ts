/**
 * IKE_SA_INIT (RFC 7296 section 1.2): SA, KE, Nonce and NAT detection both ways; the retries of
 * section 1.2 / 2.6 (COOKIE, INVALID_KE_PAYLOAD) with the same SPI and Message ID 0; a responder
 * that keeps no state until it has checked the cookie, when cookies are on (section 2.6); and the
 * move to port 4500 when a NAT is detected or encapsulation is forced (section 2.23, RFC 3948).
 */
import type { Datagram, Endpoint } from '@mip6sec/core';
import { SUPPORTED_HASHES } from '../auth/signature.js';
import { bytesToU64, equalBytes, setU16, u16At } from '../bytes.js';
import type { ResolvedPeer } from '../config.js';
import { EXCHANGE, NOTIFY, notifyName } from '../constants.js';
import { deriveIkeKeys, skeyseed } from '../crypto/keymat.js';
import { acceptChosenProposal, allDh, selectProposal, toProposals } from '../crypto/proposals.js';
import {
  allNotifies,
  errorNotify,
  findNotify,
  first,
  type IkeEngine,
  initKey,
  isErrorNotify,
  notify,
} from '../engine.js';
import { IkeError } from '../errors.js';
import { IkeSa } from '../ike-sa.js';
import { encodeMessage, type IkeMessage } from '../message.js';
import { natBehind, natHash } from '../nat-detection.js';
import type { Payload } from '../payloads/types.js';
import { computeSecret } from './child-negotiation.js';
import { certificateRequests } from './ike-auth.js';
import type { ExchangeTask } from './task.js';

const MAX_COOKIE_RETRIES = 3;

/** N(SIGNATURE_HASH_ALGORITHMS) with every hash we verify (RFC 7427 section 4). */
function signatureHashes(): Payload {
  const data = new Uint8Array(SUPPORTED_HASHES.length * 2);
  for (const [i, h] of SUPPORTED_HASHES.entries()) setU16(data, i * 2, h);
  return notify('SIGNATURE_HASH_ALGORITHMS', data);
}

/** The peer's announced hash algorithms; undefined when it sent none (or a malformed list). */
export function readSignatureHashes(payloads: readonly Payload[]): number[] | undefined {
  const n = findNotify(payloads, 'SIGNATURE_HASH_ALGORITHMS');
  if (!n || n.data.length % 2 !== 0) return undefined;
  const out: number[] = [];
  for (let i = 0; i < n.data.length; i += 2) out.push(u16At(n.data, i));
  return out;
}
const MAX_KE_RETRIES = 2;

function nonceOk(n: Uint8Array): boolean {
  return n.length >= 16 && n.length <= 256;
}

/** The NAT-T port the peer listens on: ours, unless the peer was configured on a port of its own. */
function peerNattPort(engine: IkeEngine, peer: ResolvedPeer | undefined, remote: Endpoint): number {
  const configured = peer?.config.remotePort;
  return configured === undefined || configured === engine.cfg.port || remote.port === engine.cfg.port
    ? engine.cfg.nattPort
    : remote.port;
}

/** Moves an IKE SA to the NAT-T port on both ends. */
export function floatToNatt(engine: IkeEngine, sa: IkeSa): void {
  sa.natT = true;
  if (sa.local.port !== engine.cfg.nattPort) sa.local = { ip: sa.local.ip, port: engine.cfg.nattPort };
  if (sa.remote.port === engine.cfg.port)
    sa.remote = { ip: sa.remote.ip, port: peerNattPort(engine, sa.peer, sa.remote) };
}

export class InitTask implements ExchangeTask {
  readonly exchange = EXCHANGE.IKE_SA_INIT;
  readonly plain = true;
  private readonly engine: IkeEngine;
  private readonly next: (sa: IkeSa) => void;
  private group: number;
  private cookieTries = 0;
  private keTries = 0;
  private offered: ReturnType<typeof toProposals> = [];

  /** `next` queues what follows (IKE_AUTH) once the keys exist. */
  constructor(engine: IkeEngine, group: number, next: (sa: IkeSa) => void) {
    this.engine = engine;
    this.group = group;
    this.next = next;
  }

  async build(sa: IkeSa): Promise<Payload[]> {
    const peer = sa.peer!;
    const e = this.engine;
    if (!sa.dh || sa.dh.group !== this.group) sa.dh = e.crypto.dh(this.group as never);
    if (sa.ni.length === 0) sa.ni = e.crypto.randomBytes(e.cfg.nonceLength);
    this.offered = toProposals(peer.ike, new Uint8Array(0));
    const payloads: Payload[] = [];
    if (sa.cookie) payloads.push(notify('COOKIE', sa.cookie));
    payloads.push(
      { kind: 'SA', proposals: this.offered },
      { kind: 'KE', group: sa.dh.group, data: sa.dh.publicKey },
      { kind: 'NONCE', data: sa.ni },
      // strongSwan fakes the source hash to force UDP encapsulation; any value that cannot match does.
      notify(
        'NAT_DETECTION_SOURCE_IP',
        peer.config.forceEncap ? e.crypto.randomBytes(20) : natHash(e.crypto, sa.spiI, 0n, sa.local),
      ),
      notify('NAT_DETECTION_DESTINATION_IP', natHash(e.crypto, sa.spiI, 0n, sa.remote)),
      signatureHashes(),
    );
    if (e.cfg.fragmentation.enabled) payloads.push(notify('IKEV2_FRAGMENTATION_SUPPORTED'));
    return payloads;
  }

  async handle(sa: IkeSa, payloads: readonly Payload[], raw: Uint8Array): Promise<'retry' | undefined> {
    const e = this.engine;
    const saPayload = first(payloads, 'SA');
    const cookie = findNotify(payloads, 'COOKIE');
    if (cookie && !saPayload) {
      if (this.cookieTries++ >= MAX_COOKIE_RETRIES || cookie.data.length < 1 || cookie.data.length > 64) {
        throw new IkeError('INVALID_SYNTAX', 'responder keeps asking for a cookie');
      }
      sa.cookie = cookie.data;
      return 'retry';
    }
    const invalidKe = findNotify(payloads, 'INVALID_KE_PAYLOAD');
    if (invalidKe && !saPayload) {
      const g = invalidKe.data.length === 2 ? (invalidKe.data[0]! << 8) | invalidKe.data[1]! : -1;
      if (g === this.group || !allDh(sa.peer!.ike).has(g) || this.keTries++ >= MAX_KE_RETRIES) {
        throw new IkeError('INVALID_KE_PAYLOAD', `responder wants DH group ${g}, which we did not propose`);
      }
      this.group = g;
      return 'retry';
    }
    const err = errorNotify(payloads);
    if (err)
      throw new IkeError(notifyName(err.notify) as never, `IKE_SA_INIT refused: ${notifyName(err.notify)}`);
    const ke = first(payloads, 'KE');
    const nonce = first(payloads, 'NONCE');
    if (!saPayload || !ke || !nonce)
      throw new IkeError('INVALID_SYNTAX', 'IKE_SA_INIT response without SA, KE and Nonce');
    const suite = acceptChosenProposal(this.offered, saPayload.proposals);
    if (ke.group !== suite.dh || ke.group !== sa.dh?.group)
      throw new IkeError('INVALID_SYNTAX', 'KE group differs from the chosen one');
    if (!nonceOk(nonce.data)) throw new IkeError('INVALID_SYNTAX', `nonce of ${nonce.data.length} bytes`);
    const spiR = bytesToU64(raw, 8);
    if (spiR === 0n) throw new IkeError('INVALID_SYNTAX', 'responder SPI is zero');
    const gir = computeSecret(sa.dh, ke.data);
    sa.spiR = spiR;
    sa.nr = nonce.data;
    sa.setKeys(
      suite,
      deriveIkeKeys(
        e.crypto,
        suite,
        skeyseed(e.crypto, suite.prf!, sa.ni, sa.nr, gir),
        sa.ni,
        sa.nr,
        sa.spiI,
        spiR,
      ),
    );
    sa.initResponse = raw.slice();
    sa.nextRequestId = 1;
    sa.peerSignatureHashes = readSignatureHashes(payloads);
    sa.fragmentation =
      e.cfg.fragmentation.enabled && findNotify(payloads, 'IKEV2_FRAGMENTATION_SUPPORTED') !== undefined;
    const src = allNotifies(payloads, 'NAT_DETECTION_SOURCE_IP').map((n) => n.data);
    const dst = allNotifies(payloads, 'NAT_DETECTION_DESTINATION_IP').map((n) => n.data);
    sa.natLocal = natBehind(e.crypto, sa.spiI, spiR, sa.local, dst);
    sa.natRemote = natBehind(e.crypto, sa.spiI, spiR, sa.remote, src);
    const peerNatt = src.length > 0 && dst.length > 0;
    // A forced encapsulation is a NAT we pretend to be behind (strongSwan's fake NAT).
    if (sa.peer!.config.forceEncap && peerNatt) sa.natLocal = true;
    if (sa.natLocal || sa.natRemote || (sa.peer!.mobike && peerNatt)) {
      floatToNatt(e, sa);
    }
    sa.state = 'authenticating';
    this.next(sa);
    return undefined;
  }

  fail(sa: IkeSa, error: IkeError): void {
    void this.engine.destroy(sa, `IKE_SA_INIT failed: ${error.message}`, { cause: error });
  }
}

function plainReply(
  engine: IkeEngine,
  msg: IkeMessage,
  d: Datagram,
  local: Endpoint,
  payloads: Payload[],
  spiR = 0n,
): Uint8Array {
  const bytes = encodeMessage({
    spiI: msg.spiI,
    spiR,
    exchange: EXCHANGE.IKE_SA_INIT,
    response: true,
    initiator: false,
    messageId: msg.messageId,
    payloads,
  });
  engine.sendRaw(local, d.src, bytes);
  return bytes;
}

/** Peer configurations that may answer on this address pair. */
export function candidatePeers(engine: IkeEngine, local: Endpoint, remote: Endpoint): ResolvedPeer[] {
  return engine.cfg.peers.filter(
    (p) =>
      (p.config.local === undefined || p.config.local === local.ip) &&
      (p.config.remote === undefined || p.config.remote === remote.ip),
  );
}

/** Responder side; nothing is kept unless the request is answered with a new SA. */
export async function respondInit(
  engine: IkeEngine,
  msg: IkeMessage,
  raw: Uint8Array,
  d: Datagram,
  local: Endpoint,
): Promise<void> {
  const key = initKey(msg.spiI, d.src);
  const known = engine.responders.get(key);
  if (known) {
    if (known.state === 'authenticating' && equalBytes(known.initRequest, raw))
      engine.sendRaw(local, d.src, known.initResponse);
    return;
  }
  if (msg.spiR !== 0n || msg.messageId !== 0 || msg.spiI === 0n) return;
  const fail = (name: Parameters<typeof notify>[0], data?: Uint8Array) => {
    plainReply(engine, msg, d, local, [notify(name, data)]);
    engine.bus.emit({
      type: 'ike.exchange',
      exchange: 'IKE_SA_INIT',
      initiator: false,
      messages: 2,
      ok: false,
      ...(isErrorNotify(name) ? { notify: name } : {}),
    });
  };
  const saPayload = first(msg.payloads, 'SA');
  const ke = first(msg.payloads, 'KE');
  const nonce = first(msg.payloads, 'NONCE');
  if (!saPayload || !ke || !nonce || !nonceOk(nonce.data)) return fail('INVALID_SYNTAX');
  const threshold = engine.cfg.cookieThreshold;
  if (threshold !== undefined && engine.halfOpenCount() >= threshold) {
    const head = msg.payloads[0];
    const cookie = head?.kind === 'N' && head.notify === NOTIFY.COOKIE ? head.data : undefined;
    if (!cookie || !engine.cookies.verify(cookie, nonce.data, d.src.ip, msg.spiI)) {
      return fail('COOKIE', engine.cookies.make(nonce.data, d.src.ip, msg.spiI));
    }
  }
  const candidates = candidatePeers(engine, local, d.src);
  let picked: ReturnType<typeof selectProposal>;
  for (const c of candidates) {
    picked = selectProposal(saPayload.proposals, c.ike, { preferDh: ke.group });
    if (picked) break;
  }
  if (!picked) return fail('NO_PROPOSAL_CHOSEN');
  const suite = picked.suite;
  if (ke.group !== suite.dh) {
    return fail('INVALID_KE_PAYLOAD', Uint8Array.of((suite.dh! >> 8) & 0xff, suite.dh! & 0xff));
  }
  const dh = engine.crypto.dh(suite.dh);
  let gir: Uint8Array;
  try {
    gir = computeSecret(dh, ke.data);
  } catch {
    return fail('INVALID_SYNTAX');
  }
  const spiR = engine.newSpi();
  const sa = new IkeSa({
    crypto: engine.crypto,
    initiator: false,
    spiI: msg.spiI,
    spiR,
    local,
    remote: d.src,
    now: engine.clock.now(),
  });
  sa.candidates = candidates.filter((c) => selectProposal([picked.proposal], c.ike) !== undefined);
  sa.ni = nonce.data;
  sa.nr = engine.crypto.randomBytes(engine.cfg.nonceLength);
  sa.dh = dh;
  sa.setKeys(
    suite,
    deriveIkeKeys(
      engine.crypto,
      suite,
      skeyseed(engine.crypto, suite.prf!, sa.ni, sa.nr, gir),
      sa.ni,
      sa.nr,
      sa.spiI,
      spiR,
    ),
  );
  const src = allNotifies(msg.payloads, 'NAT_DETECTION_SOURCE_IP').map((n) => n.data);
  const dst = allNotifies(msg.payloads, 'NAT_DETECTION_DESTINATION_IP').map((n) => n.data);
  sa.natRemote = natBehind(engine.crypto, sa.spiI, 0n, d.src, src);
  sa.natLocal = natBehind(engine.crypto, sa.spiI, 0n, local, dst);
  sa.peerSignatureHashes = readSignatureHashes(msg.payloads);
  const reply: Payload[] = [
    { kind: 'SA', proposals: [{ ...picked.proposal, spi: new Uint8Array(0) }] },
    { kind: 'KE', group: suite.dh!, data: dh.publicKey },
    { kind: 'NONCE', data: sa.nr },
    ...certificateRequests(sa.candidates),
  ];
  if (src.length > 0 || dst.length > 0) {
    reply.push(
      notify('NAT_DETECTION_SOURCE_IP', natHash(engine.crypto, sa.spiI, spiR, local)),
      notify('NAT_DETECTION_DESTINATION_IP', natHash(engine.crypto, sa.spiI, spiR, d.src)),
    );
  }
  reply.push(signatureHashes());
  // RFC 7383 section 2.3: answered only to an initiator that offered it.
  if (engine.cfg.fragmentation.enabled && findNotify(msg.payloads, 'IKEV2_FRAGMENTATION_SUPPORTED')) {
    sa.fragmentation = true;
    reply.push(notify('IKEV2_FRAGMENTATION_SUPPORTED'));
  }
  sa.initRequest = raw.slice();
  sa.initResponse = plainReply(engine, msg, d, local, reply, spiR);
  sa.state = 'authenticating';
  sa.nextPeerRequestId = 1;
  sa.initKey = key;
  engine.register(sa);
  engine.responders.set(key, sa);
  engine.halfOpen.add(sa);
  // A half-open SA that never authenticates goes away without a trace (RFC 7296 section 2.6).
  sa.setTimer(
    'half-open',
    engine.clock.setTimeout(() => {
      if (sa.state === 'authenticating')
        void sa.serial(() => engine.destroy(sa, 'half-open timeout', { silent: true }));
    }, engine.cfg.halfOpenTimeout),
  );
  engine.bus.emit({ type: 'ike.exchange', exchange: 'IKE_SA_INIT', initiator: false, messages: 2, ok: true });
}
