/**
 * The host bus: facts that happened, as a discriminated union keyed by `type`. One bus per host;
 * hosts never share one. Commands are method calls on the contracts, never events.
 */
import { filter, type Observable, Subject } from 'rxjs';
import type { Endpoint, Ip } from './address.js';
import type { KmAddress, MigrateBundle } from './kernel.js';
import type { Direction, IpsecRequest, MsrdRef, SecurityPolicy } from './policy.js';
import type { SaId, SecurityAssociation } from './sa.js';
import type { Selector } from './selector.js';

// ---- kernel (kernel_listener) ----

/** An outbound packet hit a protect policy with no usable SA (SADB_ACQUIRE / XFRM_MSG_ACQUIRE). */
export interface KernelAcquire {
  readonly type: 'kernel.acquire';
  readonly seq: number;
  readonly policy: { readonly index: number; readonly selector: Selector; readonly dir: Direction };
  readonly templates: readonly IpsecRequest[];
  /** Outer addresses the kernel proposes (template endpoints, or the packet's for transport mode). */
  readonly src: Ip;
  readonly dst: Ip;
  /** The MSRD reference of the policy, when the backend carries it (extended ACQUIRE). */
  readonly ref?: MsrdRef;
}

export interface KernelExpire {
  readonly type: 'kernel.expire';
  readonly sa: SaId;
  readonly reqid: number;
  readonly hard: boolean;
}

/** A MIGRATE the kernel applied and broadcast (SADB_X_MIGRATE / XFRM_MSG_MIGRATE). */
export interface KernelMigrate {
  readonly type: 'kernel.migrate';
  readonly selector: Selector;
  readonly dir: Direction;
  readonly bundles: readonly MigrateBundle[];
  readonly kmaddress?: KmAddress;
}

export interface KernelPolicyChanged {
  readonly type: 'kernel.policy';
  readonly op: 'add' | 'update' | 'delete' | 'flush';
  readonly policy?: SecurityPolicy;
}

export interface KernelSaChanged {
  readonly type: 'kernel.sa';
  readonly op: 'add' | 'update' | 'delete' | 'flush' | 'expire';
  readonly sa?: SecurityAssociation;
}

// ---- Mobile IPv6 ----

/**
 * A handle an event passes to subscribers that must finish work before the emitter goes on
 * (the MIGRATE draft requires the MIGRATE to reach the kernel before the BU leaves).
 */
export interface Hold {
  waitUntil(p: Promise<unknown>): void;
}

/** The MN attached to a new link and has a new care-of address (equal to the HoA when home). */
export interface Mip6Movement extends Hold {
  readonly type: 'mip6.movement';
  readonly hoa: Ip;
  readonly ha: Ip;
  readonly oldCoa: Ip;
  readonly newCoa: Ip;
  readonly atHome: boolean;
}

/** A BU is about to leave the MN; subscribers may hold it. */
export interface Mip6BindingSending extends Hold {
  readonly type: 'mip6.binding-sending';
  readonly hoa: Ip;
  readonly ha: Ip;
  readonly coa: Ip;
  /** The CoA the HA currently has (HoA when none): the endpoint the SAs are bound to now. */
  readonly previousCoa: Ip;
  readonly seq: number;
  readonly kBit: boolean;
  readonly deregistration: boolean;
  /** First registration from this attachment, as opposed to a refresh. */
  readonly changesCoa: boolean;
}

export interface Mip6BindingAcknowledged {
  readonly type: 'mip6.binding-acknowledged';
  readonly hoa: Ip;
  readonly ha: Ip;
  readonly coa: Ip;
  readonly seq: number;
  readonly status: number;
  readonly lifetime: number;
  readonly kBit: boolean;
}

/** The HA accepted a BU (before it sends the BA); subscribers may hold the BA. */
export interface Mip6BindingAccepted extends Hold {
  readonly type: 'mip6.binding-accepted';
  readonly hoa: Ip;
  readonly ha: Ip;
  readonly previousCoa: Ip;
  readonly coa: Ip;
  readonly identity: string;
  readonly seq: number;
  readonly kBit: boolean;
  readonly lifetime: number;
}

/**
 * The HA deleted a binding (deregistration or expiry); subscribers may hold it. The HA removes the
 * binding's tunnel entries and sends the BA only once the holds have settled, so a strategy can
 * move the tunnel SAs back to the HoA while the entries still exist (as the MN does on return home).
 */
export interface Mip6BindingDeleted extends Hold {
  readonly type: 'mip6.binding-deleted';
  readonly hoa: Ip;
  readonly ha: Ip;
  readonly previousCoa: Ip;
  readonly reason: 'deregistration' | 'expired';
}

export interface Mip6ReturnedHome {
  readonly type: 'mip6.returned-home';
  readonly hoa: Ip;
  readonly ha: Ip;
  readonly oldCoa: Ip;
}

export interface Mip6BindingRejected {
  readonly type: 'mip6.binding-rejected';
  readonly hoa: Ip;
  readonly coa: Ip;
  readonly status: number;
  readonly reason: string;
}

// ---- IKE ----

export interface IkeSaEstablished {
  readonly type: 'ike.sa-established';
  readonly ikeSpi: string;
  readonly local: Endpoint;
  readonly remote: Endpoint;
  readonly localId: string;
  readonly remoteId: string;
  readonly initiator: boolean;
}

export interface IkeChildInstalled {
  readonly type: 'ike.child-installed';
  readonly ikeSpi: string;
  readonly reqid: number;
  readonly inbound: SaId;
  readonly outbound: SaId;
  readonly rekey: boolean;
}

export interface IkeSaDeleted {
  readonly type: 'ike.sa-deleted';
  readonly ikeSpi: string;
  readonly reason: string;
}

export interface IkeAddressesUpdated {
  readonly type: 'ike.addresses-updated';
  readonly ikeSpi: string;
  readonly local: Endpoint;
  readonly remote: Endpoint;
  readonly cause: 'migrate' | 'mobike' | 'msrd' | 'configuration';
}

/** An exchange finished (used by metrics): the exchange type name and messages sent and received. */
export interface IkeExchangeDone {
  readonly type: 'ike.exchange';
  readonly exchange: string;
  readonly initiator: boolean;
  readonly messages: number;
  readonly ok: boolean;
  /** Of a failed exchange: the error notify that ended it (sent or received), when there was one. */
  readonly notify?: string;
}

export interface IkeHomeAddressAssigned {
  readonly type: 'ike.home-address';
  readonly identity: string;
  readonly hoa: Ip;
  readonly prefixLen: number;
}

export type BusEvent =
  | KernelAcquire
  | KernelExpire
  | KernelMigrate
  | KernelPolicyChanged
  | KernelSaChanged
  | Mip6Movement
  | Mip6BindingSending
  | Mip6BindingAcknowledged
  | Mip6BindingAccepted
  | Mip6BindingDeleted
  | Mip6ReturnedHome
  | Mip6BindingRejected
  | IkeSaEstablished
  | IkeChildInstalled
  | IkeSaDeleted
  | IkeAddressesUpdated
  | IkeExchangeDone
  | IkeHomeAddressAssigned;

export type BusEventType = BusEvent['type'];
export type EventOf<T extends BusEventType> = Extract<BusEvent, { type: T }>;
/** An event as an emitter writes it: holdable events get their `waitUntil` from the bus. */
export type EventInput<E extends BusEvent> = E extends Hold ? Omit<E, 'waitUntil'> : E;

/**
 * One per host. `emit` is synchronous: subscribers run before it returns, so a subscriber must not
 * throw (errors are caught and reported on {@link Bus.errors}).
 */
export class Bus {
  private readonly subject = new Subject<BusEvent>();
  private readonly errorSubject = new Subject<{ event: BusEvent; error: unknown }>();
  readonly events: Observable<BusEvent> = this.subject.asObservable();
  readonly errors: Observable<{ event: BusEvent; error: unknown }> = this.errorSubject.asObservable();

  /** Publishes a fact. */
  emit(event: BusEvent): void {
    this.subject.next(event);
  }

  /**
   * Publishes a holdable event and resolves when every hold a subscriber placed has settled.
   * A rejected hold is reported on {@link Bus.errors} and does not stop the emitter.
   */
  async emitAndWait<E extends BusEvent & Hold>(event: EventInput<E>): Promise<void> {
    const holds: Promise<unknown>[] = [];
    const full = { ...event, waitUntil: (p: Promise<unknown>) => void holds.push(p) } as unknown as E;
    this.subject.next(full);
    const results = await Promise.allSettled(holds);
    for (const r of results) {
      if (r.status === 'rejected') this.errorSubject.next({ event: full, error: r.reason });
    }
  }

  on<T extends BusEventType>(type: T): Observable<EventOf<T>> {
    return this.events.pipe(filter((e): e is EventOf<T> => e.type === type));
  }

  /** Reports a subscriber failure without breaking the stream. */
  reportError(event: BusEvent, error: unknown): void {
    this.errorSubject.next({ event, error });
  }

  complete(): void {
    this.subject.complete();
    this.errorSubject.complete();
  }
}
