/**
 * The interface design under test. A strategy is the only code that knows how mobility state
 * reaches IPsec: it reacts to mip6 events and gives IKE an AddressResolver. Swapping it must
 * not change a line of mip6, ike or the kernel.
 */
import type { Endpoint, Ip } from './address.js';
import type { Clock } from './clock.js';
import type { Bus, KernelAcquire } from './events.js';
import type { KernelBackend } from './kernel.js';
import type { Direction, IpsecRequest, MsrdRef } from './policy.js';
import type { Selector } from './selector.js';

export interface AddressRequest {
  readonly policy?: { readonly index?: number; readonly selector: Selector; readonly dir: Direction };
  readonly templates?: readonly IpsecRequest[];
  readonly acquire?: KernelAcquire;
  readonly reqid?: number;
  /** The MPI stored with an SA being rekeyed, if the key manager keeps it. */
  readonly ref?: MsrdRef;
  /** The peer as configured, when IKE knows it. */
  readonly peer?: Ip;
}

export interface ResolvedAddresses {
  readonly local: Ip;
  readonly remote: Ip;
  /** The reference the key manager may store with the SA it creates. */
  readonly ref?: MsrdRef;
}

export interface AddressResolver {
  /** Addresses to negotiate from; undefined lets IKE fall back to the policy's template. */
  resolve(req: AddressRequest): ResolvedAddresses | undefined | Promise<ResolvedAddresses | undefined>;
}

export type HostRole = 'mn' | 'ha' | 'cn';

/** What the IKE daemon offers strategies (implemented by @mip6sec/ike). */
export interface IkeSaInfo {
  readonly ikeSpi: string;
  readonly local: Endpoint;
  readonly remote: Endpoint;
  readonly localId: string;
  readonly remoteId: string;
  readonly state: string;
  readonly childReqids: readonly number[];
  readonly ref?: MsrdRef;
}

/** Which IKE_SAs a listing is about: those with any of `remotes` as peer address, or carrying `mpi`. */
export interface IkeSaMatch {
  readonly remotes?: readonly Ip[];
  readonly mpi?: bigint;
}

export interface KeyManager {
  /**
   * The IKE_SAs (not those already gone), or only those `match` names: a home agent holds one per
   * mobile node, and a strategy asking about one binding should not have all of them listed.
   */
  ikeSas(match?: IkeSaMatch): readonly IkeSaInfo[];
  /** Moves IKE_SAs with `peer` from `oldLocal` to `newLocal` (and the remote), without rekeying. */
  updateAddresses(
    match: { local?: Ip; remote: Ip },
    to: { local: Ip; remote: Ip },
    cause: 'migrate' | 'msrd',
  ): Promise<number>;
  /** Deletes IKE_SAs and CHILD_SAs with `peer` and negotiates them again from `local` (no interface). */
  reestablish(peer: Ip, local: Ip): Promise<void>;
  /**
   * Ends the IKE_SAs with `remote` (from `local`), established or still connecting, and their
   * CHILD_SAs, without an exchange: the peer is no longer at that address (no interface: a home
   * agent discards the IKE state bound to a mobile node's old care-of address, RFC 6275 10.3.1).
   * Resolves to how many IKE_SAs went.
   */
  discard(match: { local?: Ip; remote: Ip }, reason: string): Promise<number>;
  /** Addresses IKE will use for a policy's next negotiation (its SPD image hint), for invariants. */
  hintFor(policy: { selector: Selector; dir: Direction }): ResolvedAddresses | undefined;
}

export interface StrategyContext {
  readonly role: HostRole;
  readonly bus: Bus;
  readonly kernel: KernelBackend;
  readonly clock: Clock;
  readonly keyManager?: KeyManager;
}

export interface MobilityStrategy {
  readonly name: string;
  /** True when the design promises SAs are updated in place rather than renegotiated. */
  readonly updatesInPlace: boolean;
  readonly resolver: AddressResolver;
  start(ctx: StrategyContext): void | Promise<void>;
  stop(): void | Promise<void>;
  /** Counters the comparison reports (e.g. MIGRATEs written, MSRD writes, reconciliations). */
  metrics(): Readonly<Record<string, number>>;
}
