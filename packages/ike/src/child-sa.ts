/**
 * A CHILD_SA as the daemon tracks it (RFC 7296 section 1.3): the pair of kernel SAs, its
 * traffic selectors, keys and lifetimes, and the bookkeeping a rekey collision needs
 * (section 2.8.1). The kernel holds the SAs themselves; this is IKE's record of them.
 */
import type { Ip, MsrdRef, PolicyId, SaId } from '@mip6sec/core';
import type { ProposalSpec, Suite } from './crypto/proposals.js';
import type { TsRange, TsSpec } from './traffic-selectors.js';

/** What to negotiate: from a child config, an ACQUIRE's policy, or an existing CHILD_SA being rekeyed. */
export interface ChildSpec {
  readonly name: string;
  readonly mode: 'tunnel' | 'transport';
  readonly esp: readonly ProposalSpec[];
  readonly localTs: readonly TsSpec[];
  readonly remoteTs: readonly TsSpec[];
  /** Reqid of the outbound SA (and of the inbound one unless `reqidIn` is set). */
  readonly reqid?: number;
  /** Reqid of the inbound SA when the SPD uses another one for that direction. */
  readonly reqidIn?: number;
  readonly rekeySeconds: number;
  readonly lifetimeSeconds: number;
  readonly replayWindow: number;
  readonly ref?: MsrdRef;
  /** The outbound policy that asked for this CHILD_SA (ACQUIRE), for address hints. */
  readonly policy?: PolicyId;
}

export type ChildState = 'installed' | 'rekeying' | 'rekeyed' | 'deleting' | 'deleted';

export interface ChildKeysByDirection {
  readonly encIn: Uint8Array;
  readonly integIn: Uint8Array;
  readonly encOut: Uint8Array;
  readonly integOut: Uint8Array;
}

/** Nonces of a rekey exchange, to find the one with the lowest nonce (RFC 7296 section 2.8.1). */
export interface RekeyRecord<T> {
  readonly replacement: T;
  readonly nonces: readonly Uint8Array[];
}

let nextUnique = 1;

export class ChildSa {
  readonly unique = nextUnique++;
  readonly spec: ChildSpec;
  readonly suite: Suite;
  readonly reqid: number;
  readonly reqidIn: number;
  readonly spiIn: number;
  readonly spiOut: number;
  /** Endpoints of the kernel SAs (IKE addresses, or the selectors' hosts for a transport SA of other hosts). */
  local: Ip;
  remote: Ip;
  localTs: readonly TsRange[];
  remoteTs: readonly TsRange[];
  /** UDP encapsulation ports when NAT-T is in use. */
  encap: { local: number; remote: number } | undefined;
  readonly keys: ChildKeysByDirection;
  readonly createdAt: number;
  state: ChildState = 'installed';
  /** The rekey we started and the one the peer started, while they may collide. */
  myRekey: RekeyRecord<ChildSa> | undefined;
  peerRekey: RekeyRecord<ChildSa> | undefined;
  /** The CHILD_SA this one replaced. */
  readonly rekeyOf: ChildSa | undefined;

  constructor(init: {
    spec: ChildSpec;
    suite: Suite;
    reqid: number;
    reqidIn: number;
    spiIn: number;
    spiOut: number;
    local: Ip;
    remote: Ip;
    localTs: readonly TsRange[];
    remoteTs: readonly TsRange[];
    encap: { local: number; remote: number } | undefined;
    keys: ChildKeysByDirection;
    createdAt: number;
    rekeyOf?: ChildSa;
  }) {
    this.spec = init.spec;
    this.suite = init.suite;
    this.reqid = init.reqid;
    this.reqidIn = init.reqidIn;
    this.spiIn = init.spiIn;
    this.spiOut = init.spiOut;
    this.local = init.local;
    this.remote = init.remote;
    this.localTs = init.localTs;
    this.remoteTs = init.remoteTs;
    this.encap = init.encap;
    this.keys = init.keys;
    this.createdAt = init.createdAt;
    this.rekeyOf = init.rekeyOf;
  }

  get name(): string {
    return this.spec.name;
  }

  inboundId(): SaId {
    return { src: this.remote, dst: this.local, spi: this.spiIn, proto: 'esp' };
  }

  outboundId(): SaId {
    return { src: this.local, dst: this.remote, spi: this.spiOut, proto: 'esp' };
  }

  /** True for an SA the kernel may still hold and traffic may use. */
  get alive(): boolean {
    return this.state !== 'deleted';
  }
}
