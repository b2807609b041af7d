/**
 * An IKE SA (RFC 7296 section 1): SPIs, roles, endpoints, negotiated suite and keys, the two
 * Message ID counters, the request in flight and its queue, the cached last response, and its
 * CHILD_SAs. The daemon drives it; this class holds state and the per-SA crypto.
 */
import type { CryptoProvider, DhKeyPair, Endpoint, MsrdRef, TimerHandle } from '@mip6sec/core';
import { type PrfAlgorithm, prf } from '@mip6sec/crypto';
import type { ChildSa, RekeyRecord } from './child-sa.js';
import type { ResolvedPeer } from './config.js';
import type { IkeKeys } from './crypto/keymat.js';
import type { Suite } from './crypto/proposals.js';
import { SkCipher } from './crypto/sk-cipher.js';
import { IkeError } from './errors.js';
import type { ExchangeTask } from './exchanges/task.js';
import type { Reassembly } from './fragments.js';
import type { Identity } from './identity.js';
import type { Retransmitter } from './retransmit.js';

export type IkeSaState = 'connecting' | 'authenticating' | 'established' | 'rekeyed' | 'deleting' | 'dead';

export interface PendingRequest {
  readonly task: ExchangeTask;
  readonly messageId: number;
  /** The datagrams of the request as sent: one message, or its fragments (RFC 7383). */
  datagrams: readonly Uint8Array[];
  retransmitter: Retransmitter;
  /** Messages sent for this exchange so far (first transmissions, retries and retransmissions). */
  sent: number;
  /** Responses received (more than one after an IKE_SA_INIT retry). */
  received: number;
}

export interface CachedResponse {
  readonly messageId: number;
  /** The request as received (its fragment 1 when it came in fragments). */
  readonly request: Uint8Array;
  /** The response's datagrams: one message, or its fragments. */
  readonly response: readonly Uint8Array[];
}

/** Home address / prefix the responder assigned (initiator side, RFC 5026). */
export interface AssignedHome {
  address?: string;
  prefixLen?: number;
  prefix?: string;
  prefixLifetime?: number;
  /** The responder would not take the proposed address (USE_ASSIGNED_HoA). */
  useAssigned?: boolean;
}

const EMPTY = new Uint8Array(0);

export class IkeSa {
  readonly crypto: CryptoProvider;
  /** True on the original initiator (its messages carry the I flag). */
  readonly initiator: boolean;
  spiI: bigint;
  spiR: bigint;
  state: IkeSaState = 'connecting';
  local: Endpoint;
  /** Told when the peer's address changes, with the old one (the engine files SAs by peer address). */
  onRemoteMoved: ((sa: IkeSa, oldIp: string) => void) | undefined;
  private remoteEndpoint: Endpoint | undefined;
  /** UDP encapsulation in use (port 4500, non-ESP marker, UDP-encapsulated ESP). */
  natT = false;
  natLocal = false;
  natRemote = false;
  peer: ResolvedPeer | undefined;
  /** Peer configurations an IKE_SA_INIT responder may still pick from once it learns IDi. */
  candidates: readonly ResolvedPeer[] = [];
  suite: Suite | undefined;
  keys: IkeKeys | undefined;
  private out: SkCipher | undefined;
  private in: SkCipher | undefined;
  // Empty until set: one shared empty array (nothing writes into these, they are replaced).
  ni: Uint8Array = EMPTY;
  nr: Uint8Array = EMPTY;
  dh: DhKeyPair | undefined;
  /** The IKE_SA_INIT request and response as sent (RealMessage1 / RealMessage2). */
  initRequest: Uint8Array = EMPTY;
  initResponse: Uint8Array = EMPTY;
  cookie: Uint8Array | undefined;
  localId: Identity | undefined;
  /** Told when the peer's identity is set or changes (the engine files SAs by it, see INITIAL_CONTACT). */
  onRemoteIdSet: ((sa: IkeSa, old: Identity | undefined) => void) | undefined;
  private peerId: Identity | undefined;
  /** Next Message ID of our requests, and the next one we expect in the peer's. */
  nextRequestId = 0;
  nextPeerRequestId = 0;
  /** Our requests in flight, oldest first; more than one only when both windows allow. */
  readonly inflight: PendingRequest[] = [];
  readonly queue: ExchangeTask[] = [];
  /** Responses kept for retransmitted requests, by Message ID (RFC 7296 section 2.3). */
  readonly responses = new Map<number, CachedResponse>();
  /** Requests of the peer above nextPeerRequestId already answered (they may come out of order). */
  readonly answered = new Set<number>();
  /** The window the peer announced with SET_WINDOW_SIZE; 1 until it does. */
  peerWindow = 1;
  /** Both ends sent IKEV2_FRAGMENTATION_SUPPORTED (RFC 7383 section 2.3). */
  fragmentation = false;
  /** Fragmented messages being put together, by `q|r` and Message ID. */
  readonly reassembly = new Map<string, Reassembly>();
  /** When we last sent INVALID_MESSAGE_ID on this SA (rate limit). */
  lastInvalidMessageId = Number.NEGATIVE_INFINITY;
  readonly children: ChildSa[] = [];
  /** Hash algorithms of the peer's SIGNATURE_HASH_ALGORITHMS (RFC 7427), when it sent one. */
  peerSignatureHashes: readonly number[] | undefined;
  /** RFC 4555 agreed by both ends. */
  mobike = false;
  peerAdditionalAddresses: string[] = [];
  assignedHome: AssignedHome | undefined;
  /** Responder: the home address it assigned to the peer (what `dynamic` means for the peer's side). */
  peerHome: string | undefined;
  /** An IKE SA rekey of ours is in flight. */
  rekeyingIke = false;
  ref: MsrdRef | undefined;
  readonly createdAt: number;
  establishedAt: number | undefined;
  lastHeard: number;
  readonly timers = new Map<string, TimerHandle>();
  /** Serializes the handling of this SA's messages and events. */
  private chain: Promise<void> = Promise.resolve();
  /** IKE SA rekey bookkeeping (RFC 7296 section 2.8.2). */
  myRekey: RekeyRecord<IkeSa> | undefined;
  peerRekey: RekeyRecord<IkeSa> | undefined;
  /** The SA this one replaced by a rekey. */
  rekeyOf: IkeSa | undefined;
  /** Key of a responder SA in the daemon's IKE_SA_INIT table. */
  initKey: string | undefined;
  /** Why the SA went away, once it did. */
  deleteReason: string | undefined;
  /** The failure that ended the SA (a notify, ETIMEDOUT), when one did. */
  deleteCause: IkeError | undefined;

  constructor(init: {
    crypto: CryptoProvider;
    initiator: boolean;
    spiI: bigint;
    spiR: bigint;
    local: Endpoint;
    remote: Endpoint;
    now: number;
  }) {
    this.crypto = init.crypto;
    this.initiator = init.initiator;
    this.spiI = init.spiI;
    this.spiR = init.spiR;
    this.local = init.local;
    this.remote = init.remote;
    this.createdAt = init.now;
    this.lastHeard = init.now;
  }

  /** The peer's authenticated identity (IDi or IDr), once IKE_AUTH has it. */
  get remoteId(): Identity | undefined {
    return this.peerId;
  }

  set remoteId(id: Identity | undefined) {
    const old = this.peerId;
    this.peerId = id;
    if (old !== id) this.onRemoteIdSet?.(this, old);
  }

  /** The peer's endpoint. */
  get remote(): Endpoint {
    // Set by the constructor, so never undefined once the SA exists.
    return this.remoteEndpoint as Endpoint;
  }

  set remote(e: Endpoint) {
    const old = this.remoteEndpoint;
    this.remoteEndpoint = e;
    if (old !== undefined && old.ip !== e.ip) this.onRemoteMoved?.(this, old.ip);
  }

  /** The oldest request in flight. */
  get pending(): PendingRequest | undefined {
    return this.inflight[0];
  }

  /** The SPI this end chose, which keys the daemon's SA table. */
  get mySpi(): bigint {
    return this.initiator ? this.spiI : this.spiR;
  }

  get peerSpi(): bigint {
    return this.initiator ? this.spiR : this.spiI;
  }

  get prfAlgorithm(): PrfAlgorithm {
    const p = this.suite?.prf;
    if (!p) throw new IkeError('EINVAL', 'IKE SA has no PRF yet');
    return p;
  }

  prf(key: Uint8Array, data: Uint8Array): Uint8Array {
    return prf(this.crypto, this.prfAlgorithm, key, data);
  }

  /** Installs the keys: the original initiator sends with SK_ei/SK_ai, the responder with SK_er/SK_ar. */
  setKeys(suite: Suite, keys: IkeKeys): void {
    this.suite = suite;
    this.keys = keys;
    const i = { enc: keys.skEi, integ: keys.skAi };
    const r = { enc: keys.skEr, integ: keys.skAr };
    this.out = new SkCipher(this.crypto, suite, this.initiator ? i : r);
    this.in = new SkCipher(this.crypto, suite, this.initiator ? r : i);
  }

  get sealer(): SkCipher {
    if (!this.out) throw new IkeError('EINVAL', 'IKE SA has no keys yet');
    return this.out;
  }

  get opener(): SkCipher | undefined {
    return this.in;
  }

  /** Runs `fn` after everything queued before it on this SA, whatever their outcome. */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  cancelTimers(): void {
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
  }

  setTimer(name: string, t: TimerHandle): void {
    this.timers.get(name)?.cancel();
    this.timers.set(name, t);
  }

  liveChildren(): ChildSa[] {
    return this.children.filter((c) => c.alive);
  }
}
