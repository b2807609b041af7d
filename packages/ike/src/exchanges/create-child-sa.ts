/**
 * CREATE_CHILD_SA (RFC 7296 section 1.3): a new CHILD_SA, the rekey of a CHILD_SA (REKEY_SA,
 * with or without PFS) and the rekey of the IKE SA (section 2.18), with the simultaneous rekey
 * rules of section 2.8.1 / 2.8.2: both exchanges complete, and the SA made by the exchange that
 * carried the lowest of the four nonces is deleted by the end that made it.
 */
import type { Datagram, DhGroup, Endpoint } from '@mip6sec/core';
import { bytesToU32, bytesToU64, compareBytes, u16ToBytes, u32ToBytes, u64ToBytes } from '../bytes.js';
import type { ChildSa, ChildSpec, RekeyRecord } from '../child-sa.js';
import { EXCHANGE, notifyName, PROTOCOL } from '../constants.js';
import { deriveIkeKeys, rekeySkeyseed } from '../crypto/keymat.js';
import {
  acceptChosenProposal,
  allDh,
  preferredDh,
  selectProposal,
  toProposals,
} from '../crypto/proposals.js';
import { errorNotify, findNotify, first, type IkeEngine, notify, type Reply } from '../engine.js';
import { IkeError } from '../errors.js';
import { IkeSa } from '../ike-sa.js';
import type { Payload, Proposal } from '../payloads/types.js';
import {
  abandonChildRequest,
  answerChildRequest,
  type ChildRequest,
  childRequestPayloads,
  completeChildRequest,
  computeSecret,
  prepareChildRequest,
} from './child-negotiation.js';
import { rejectPeerChild } from './ike-auth.js';
import { DeleteChildTask, DeleteIkeTask } from './informational.js';
import type { ExchangeTask } from './task.js';

/** How long to wait before trying again after TEMPORARY_FAILURE (RFC 7296 section 2.25). */
const TEMPORARY_FAILURE_RETRY_MS = 2000;
const MAX_ATTEMPTS = 3;

function u16(data: Uint8Array): number {
  return data.length === 2 ? (data[0]! << 8) | data[1]! : -1;
}

/** True when `mine` holds the lowest of all the nonces of two colliding exchanges. */
function lostCollision(mine: readonly Uint8Array[], theirs: readonly Uint8Array[]): boolean {
  const all = [...mine, ...theirs];
  let lowest = all[0]!;
  for (const n of all) if (compareBytes(n, lowest) < 0) lowest = n;
  return mine.some((n) => compareBytes(n, lowest) === 0);
}

/** A rekey of ours that came to nothing: the old CHILD_SA is back, unless the peer rekeyed it meanwhile. */
function restore(old: ChildSa | undefined): void {
  if (old?.state === 'rekeying') old.state = old.peerRekey ? 'rekeyed' : 'installed';
}

export type ChildOutcome = { child: ChildSa } | { error: IkeError };

/** CREATE_CHILD_SA for a new CHILD_SA, or for the rekey of `rekeyOf`. */
export class CreateChildTask implements ExchangeTask {
  readonly exchange = EXCHANGE.CREATE_CHILD_SA;
  readonly concurrent = true;
  private readonly engine: IkeEngine;
  private readonly spec: ChildSpec;
  private readonly rekeyOf: ChildSa | undefined;
  private readonly dhGroup: number | undefined;
  private readonly attempt: number;
  private readonly done: (outcome: ChildOutcome) => void;
  private req: ChildRequest | undefined;
  private ni: Uint8Array = new Uint8Array(0);

  constructor(
    engine: IkeEngine,
    spec: ChildSpec,
    opts: { rekeyOf?: ChildSa; dhGroup?: number; attempt?: number; done?: (o: ChildOutcome) => void } = {},
  ) {
    this.engine = engine;
    this.spec = spec;
    this.rekeyOf = opts.rekeyOf;
    this.dhGroup = opts.dhGroup;
    this.attempt = opts.attempt ?? 1;
    this.done = opts.done ?? (() => undefined);
  }

  private again(sa: IkeSa, dhGroup?: number): void {
    this.engine.enqueue(
      sa,
      new CreateChildTask(this.engine, this.spec, {
        ...(this.rekeyOf ? { rekeyOf: this.rekeyOf } : {}),
        ...(dhGroup !== undefined
          ? { dhGroup }
          : this.dhGroup !== undefined
            ? { dhGroup: this.dhGroup }
            : {}),
        attempt: this.attempt + 1,
        done: this.done,
      }),
      true,
    );
  }

  async build(sa: IkeSa): Promise<Payload[] | undefined> {
    const old = this.rekeyOf;
    if (sa.state !== 'established' || (old && old.state !== 'installed')) {
      this.done({
        error: new IkeError(
          'ECANCELED',
          old ? `CHILD_SA ${old.name} is no longer there to rekey` : 'IKE SA not established',
        ),
      });
      return undefined;
    }
    if (old) old.state = 'rekeying';
    this.ni = this.engine.crypto.randomBytes(this.engine.cfg.nonceLength);
    this.req = await prepareChildRequest(this.engine, sa, this.spec, {
      ...(old ? { rekeyOf: old } : {}),
      ...(this.dhGroup !== undefined ? { dhGroup: this.dhGroup } : {}),
    });
    const payloads: Payload[] = [];
    if (old)
      payloads.push(
        notify('REKEY_SA', new Uint8Array(0), { protocol: PROTOCOL.ESP, spi: u32ToBytes(old.spiIn) }),
      );
    payloads.push(...childRequestPayloads(this.req, this.ni));
    return payloads;
  }

  async handle(sa: IkeSa, payloads: readonly Payload[]): Promise<undefined> {
    const e = this.engine;
    const req = this.req!;
    this.req = undefined;
    const old = this.rekeyOf;
    const err = errorNotify(payloads);
    if (err && !first(payloads, 'SA')) {
      await abandonChildRequest(e, req);
      restore(old);
      const name = notifyName(err.notify);
      if (name === 'INVALID_KE_PAYLOAD' && this.attempt < MAX_ATTEMPTS) {
        const g = u16(err.data);
        if (allDh(this.spec.esp).has(g) && g !== req.dh?.group) {
          this.again(sa, g);
          return undefined;
        }
      }
      if (name === 'TEMPORARY_FAILURE' && this.attempt < MAX_ATTEMPTS) {
        sa.setTimer(
          `retry-child-${old?.unique ?? this.spec.name}`,
          e.clock.setTimeout(() => this.again(sa), TEMPORARY_FAILURE_RETRY_MS),
        );
        return undefined;
      }
      if (name === 'CHILD_SA_NOT_FOUND' && old) {
        // The peer no longer has it (it deleted or rekeyed it first): neither should we.
        if (old.state === 'installed') {
          await e.removeChild(old);
          e.prune(sa);
        }
      }
      throw new IkeError(name as never, `CREATE_CHILD_SA refused: ${name}`);
    }
    const nonce = first(payloads, 'NONCE');
    if (!nonce || nonce.data.length < 16 || nonce.data.length > 256) {
      await abandonChildRequest(e, req);
      rejectPeerChild(e, sa, req.spiIn);
      restore(old);
      throw new IkeError('INVALID_SYNTAX', 'CREATE_CHILD_SA response without a valid Nonce');
    }
    let child: ChildSa;
    try {
      child = await completeChildRequest(e, sa, req, payloads, this.ni, nonce.data);
    } catch (x) {
      await abandonChildRequest(e, req);
      if (first(payloads, 'SA')) rejectPeerChild(e, sa, req.spiIn);
      restore(old);
      throw x;
    }
    if (old) {
      old.myRekey = { replacement: child, nonces: [this.ni, nonce.data] };
      if (old.peerRekey) resolveChildCollision(e, sa, old);
      else if (old.state !== 'deleted') {
        old.state = 'rekeyed';
        e.enqueue(sa, new DeleteChildTask(e, old));
      }
    }
    this.done({ child });
    return undefined;
  }

  fail(_sa: IkeSa, error: IkeError): void {
    const req = this.req;
    this.req = undefined;
    if (req) void abandonChildRequest(this.engine, req);
    restore(this.rekeyOf);
    this.done({ error });
  }
}

/**
 * Both ends rekeyed the same CHILD_SA (RFC 7296 section 2.8.1). The exchange holding the lowest
 * nonce made the redundant SA: if that was ours we delete what we made and leave the old one to
 * the peer; otherwise we delete the old one and the peer deletes its redundant one.
 */
export function resolveChildCollision(e: IkeEngine, sa: IkeSa, old: ChildSa): void {
  const mine = old.myRekey!;
  const theirs = old.peerRekey!;
  old.state = 'rekeyed';
  if (lostCollision(mine.nonces, theirs.nonces)) e.enqueue(sa, new DeleteChildTask(e, mine.replacement));
  else e.enqueue(sa, new DeleteChildTask(e, old));
}

/** A new IKE SA that takes over from `old` (same peer, identities, addresses, MOBIKE state). */
function successor(e: IkeEngine, old: IkeSa, initiator: boolean, spiI: bigint, spiR: bigint): IkeSa {
  const sa = new IkeSa({
    crypto: e.crypto,
    initiator,
    spiI,
    spiR,
    local: old.local,
    remote: old.remote,
    now: e.clock.now(),
  });
  sa.peer = old.peer;
  sa.candidates = old.candidates;
  sa.natT = old.natT;
  sa.natLocal = old.natLocal;
  sa.natRemote = old.natRemote;
  sa.localId = old.localId;
  sa.remoteId = old.remoteId;
  sa.mobike = old.mobike;
  sa.peerAdditionalAddresses = old.peerAdditionalAddresses;
  sa.assignedHome = old.assignedHome;
  sa.peerHome = old.peerHome;
  sa.ref = old.ref;
  sa.rekeyOf = old;
  // What was negotiated for the IKE SA carries over to its rekeyed successor.
  sa.fragmentation = old.fragmentation;
  sa.peerWindow = old.peerWindow;
  sa.peerSignatureHashes = old.peerSignatureHashes;
  return sa;
}

/**
 * Hands `old`'s CHILD_SAs and waiting exchanges to `winner` and announces it; the old SA then
 * only waits for its Delete, which we send when `deleteOld`.
 */
function completeIkeRekey(e: IkeEngine, old: IkeSa, winner: IkeSa, deleteOld: boolean): void {
  old.rekeyingIke = false;
  winner.children.push(...old.children.filter((c) => c.alive));
  old.children.length = 0;
  for (const t of old.queue.splice(0)) winner.queue.push(t);
  old.state = 'rekeyed';
  e.established(winner);
  e.runQueue(winner);
  if (deleteOld) e.enqueue(old, new DeleteIkeTask(e, { reason: 'rekeyed', keepChildren: true }));
}

/** RFC 7296 section 2.8.2, for IKE SAs: as for CHILD_SAs, the lowest nonce loses. */
function resolveIkeCollision(e: IkeEngine, old: IkeSa): void {
  const mine = old.myRekey!;
  const theirs = old.peerRekey!;
  const lost = lostCollision(mine.nonces, theirs.nonces);
  const winner = lost ? theirs.replacement : mine.replacement;
  const loser = lost ? mine.replacement : theirs.replacement;
  // The loser only waits for its Delete: from us when we made it, from the peer otherwise.
  loser.state = 'rekeyed';
  completeIkeRekey(e, old, winner, !lost);
  if (lost) e.enqueue(loser, new DeleteIkeTask(e, { reason: 'redundant rekey', silent: true }));
}

/** CREATE_CHILD_SA carrying an IKE proposal: rekeys the IKE SA (RFC 7296 section 1.3.2). */
export class RekeyIkeTask implements ExchangeTask {
  readonly exchange = EXCHANGE.CREATE_CHILD_SA;
  private readonly engine: IkeEngine;
  private readonly group: number | undefined;
  private readonly attempt: number;
  private readonly done: (outcome: { sa: IkeSa } | { error: IkeError }) => void;
  private spi = 0n;
  private ni: Uint8Array = new Uint8Array(0);
  private offered: Proposal[] = [];
  private dh: ReturnType<IkeEngine['crypto']['dh']> | undefined;

  constructor(
    engine: IkeEngine,
    opts: {
      group?: number;
      attempt?: number;
      done?: (outcome: { sa: IkeSa } | { error: IkeError }) => void;
    } = {},
  ) {
    this.engine = engine;
    this.group = opts.group;
    this.attempt = opts.attempt ?? 1;
    this.done = opts.done ?? (() => undefined);
  }

  async build(sa: IkeSa): Promise<Payload[] | undefined> {
    if (sa.state !== 'established') {
      this.done({ error: new IkeError('ECANCELED', 'IKE SA not established') });
      return undefined;
    }
    const e = this.engine;
    const group = this.group ?? preferredDh(sa.peer!.ike)!;
    this.dh = e.crypto.dh(group as DhGroup);
    this.spi = e.newSpi();
    this.ni = e.crypto.randomBytes(e.cfg.nonceLength);
    this.offered = toProposals(sa.peer!.ike, u64ToBytes(this.spi));
    sa.rekeyingIke = true;
    return [
      { kind: 'SA', proposals: this.offered },
      { kind: 'NONCE', data: this.ni },
      { kind: 'KE', group: this.dh.group, data: this.dh.publicKey },
    ];
  }

  private again(sa: IkeSa, group?: number): void {
    this.engine.enqueue(
      sa,
      new RekeyIkeTask(this.engine, {
        ...(group !== undefined ? { group } : {}),
        attempt: this.attempt + 1,
        done: this.done,
      }),
      true,
    );
  }

  async handle(sa: IkeSa, payloads: readonly Payload[]): Promise<undefined> {
    const e = this.engine;
    const err = errorNotify(payloads);
    if (err && !first(payloads, 'SA')) {
      sa.rekeyingIke = false;
      const name = notifyName(err.notify);
      if (
        name === 'INVALID_KE_PAYLOAD' &&
        this.attempt < MAX_ATTEMPTS &&
        allDh(sa.peer!.ike).has(u16(err.data))
      ) {
        this.again(sa, u16(err.data));
        return undefined;
      }
      if (name === 'TEMPORARY_FAILURE' && this.attempt < MAX_ATTEMPTS) {
        sa.setTimer(
          'retry-ike-rekey',
          e.clock.setTimeout(() => this.again(sa), TEMPORARY_FAILURE_RETRY_MS),
        );
        return undefined;
      }
      throw new IkeError(name as never, `IKE SA rekey refused: ${name}`);
    }
    const saPayload = first(payloads, 'SA');
    const nonce = first(payloads, 'NONCE');
    const ke = first(payloads, 'KE');
    if (!saPayload || !nonce || !ke || nonce.data.length < 16 || nonce.data.length > 256) {
      sa.rekeyingIke = false;
      throw new IkeError('INVALID_SYNTAX', 'IKE rekey response without SA, Nonce and KE');
    }
    const suite = acceptChosenProposal(this.offered, saPayload.proposals);
    const chosen = saPayload.proposals[0]!;
    if (chosen.spi.length !== 8 || ke.group !== suite.dh || ke.group !== this.dh!.group) {
      sa.rekeyingIke = false;
      throw new IkeError('INVALID_SYNTAX', 'bad SPI or KE group in the IKE rekey response');
    }
    const gir = computeSecret(this.dh!, ke.data);
    const spiR = bytesToU64(chosen.spi);
    const next = successor(e, sa, true, this.spi, spiR);
    next.ni = this.ni;
    next.nr = nonce.data;
    const seed = rekeySkeyseed(e.crypto, sa.prfAlgorithm, sa.keys!.skD, gir, this.ni, nonce.data);
    next.setKeys(
      suite,
      deriveIkeKeys(e.crypto, suite, seed, this.ni, nonce.data, this.spi, spiR, sa.prfAlgorithm),
    );
    e.register(next);
    sa.myRekey = { replacement: next, nonces: [this.ni, nonce.data] };
    if (sa.peerRekey) resolveIkeCollision(e, sa);
    else completeIkeRekey(e, sa, next, true);
    this.done({ sa: next });
    return undefined;
  }

  fail(sa: IkeSa, error: IkeError): void {
    sa.rekeyingIke = false;
    this.done({ error });
  }
}

/** Responder side of an IKE SA rekey. */
async function answerIkeRekey(
  e: IkeEngine,
  sa: IkeSa,
  payloads: readonly Payload[],
  ni: Uint8Array,
): Promise<Reply> {
  // A CHILD_SA exchange of ours in flight makes this a collision of another kind: ask to retry.
  if (sa.inflight.some((p) => p.task instanceof CreateChildTask))
    return { payloads: [notify('TEMPORARY_FAILURE')], ok: false };
  const saPayload = first(payloads, 'SA')!;
  const ke = first(payloads, 'KE');
  if (!ke) throw new IkeError('INVALID_SYNTAX', 'IKE rekey without KE');
  const picked = selectProposal(
    saPayload.proposals.filter((p) => p.protocol === PROTOCOL.IKE),
    sa.peer!.ike,
    { preferDh: ke.group },
  );
  if (picked?.proposal.spi.length !== 8) return { payloads: [notify('NO_PROPOSAL_CHOSEN')], ok: false };
  if (ke.group !== picked.suite.dh)
    return { payloads: [notify('INVALID_KE_PAYLOAD', u16ToBytes(picked.suite.dh!))], ok: false };
  const dh = e.crypto.dh(picked.suite.dh);
  const gir = computeSecret(dh, ke.data);
  const nr = e.crypto.randomBytes(e.cfg.nonceLength);
  const spiI = bytesToU64(picked.proposal.spi);
  const spiR = e.newSpi();
  const next = successor(e, sa, false, spiI, spiR);
  next.ni = ni;
  next.nr = nr;
  const seed = rekeySkeyseed(e.crypto, sa.prfAlgorithm, sa.keys!.skD, gir, ni, nr);
  next.setKeys(
    picked.suite,
    deriveIkeKeys(e.crypto, picked.suite, seed, ni, nr, spiI, spiR, sa.prfAlgorithm),
  );
  e.register(next);
  const record: RekeyRecord<IkeSa> = { replacement: next, nonces: [ni, nr] };
  sa.peerRekey = record;
  const reply: Payload[] = [
    { kind: 'SA', proposals: [{ ...picked.proposal, spi: u64ToBytes(spiR) }] },
    { kind: 'NONCE', data: nr },
    { kind: 'KE', group: dh.group, data: dh.publicKey },
  ];
  // With our own rekey in flight the collision is settled when its answer comes (resolveIkeCollision).
  const after = sa.rekeyingIke ? undefined : () => completeIkeRekey(e, sa, next, false);
  return { payloads: reply, ...(after ? { after } : {}) };
}

/** Responder side of CREATE_CHILD_SA. */
export async function respondCreateChild(
  e: IkeEngine,
  sa: IkeSa,
  payloads: readonly Payload[],
  _d: Datagram,
  _local: Endpoint,
): Promise<Reply> {
  if (sa.state !== 'established') return { payloads: [notify('TEMPORARY_FAILURE')], ok: false };
  const saPayload = first(payloads, 'SA');
  const nonce = first(payloads, 'NONCE');
  if (!saPayload || !nonce || nonce.data.length < 16 || nonce.data.length > 256) {
    throw new IkeError('INVALID_SYNTAX', 'CREATE_CHILD_SA without SA and a valid Nonce');
  }
  if (saPayload.proposals.some((p) => p.protocol === PROTOCOL.IKE))
    return answerIkeRekey(e, sa, payloads, nonce.data);
  // RFC 7296 section 2.25.2: while our IKE SA rekey is in flight, CHILD_SA work waits.
  if (sa.rekeyingIke) return { payloads: [notify('TEMPORARY_FAILURE')], ok: false };
  const rekey = findNotify(payloads, 'REKEY_SA');
  let rekeyOf: ChildSa | undefined;
  if (rekey) {
    const spi = rekey.spi.length === 4 ? bytesToU32(rekey.spi) : -1;
    rekeyOf = sa.children.find(
      (c) => c.spiOut === spi && (c.state === 'installed' || c.state === 'rekeying'),
    );
    if (!rekeyOf)
      return {
        payloads: [
          notify('CHILD_SA_NOT_FOUND', new Uint8Array(0), { protocol: PROTOCOL.ESP, spi: rekey.spi }),
        ],
        ok: false,
      };
  }
  const nr = e.crypto.randomBytes(e.cfg.nonceLength);
  const answer = await answerChildRequest(e, sa, payloads, nonce.data, nr, {
    ...(rekeyOf ? { rekeyOf } : {}),
    pfsAllowed: true,
    remoteDynamic: sa.peerHome ?? sa.remote.ip,
  });
  if (answer.error) return { payloads: [answer.error], ok: false };
  if (rekeyOf) {
    rekeyOf.peerRekey = { replacement: answer.child!, nonces: [nonce.data, nr] };
    // Not rekeying it ourselves: the peer deletes the old one; we just must not rekey it again.
    if (rekeyOf.state === 'installed') rekeyOf.state = 'rekeyed';
  }
  const reply: Payload[] = [answer.sa!, { kind: 'NONCE', data: nr }];
  if (answer.ke) reply.push(answer.ke);
  reply.push(...answer.ts!, ...answer.notifies!);
  return { payloads: reply };
}
