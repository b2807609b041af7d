/**
 * The kernel IPsec contract, in the shape the field has proven (strongSwan's kernel_ipsec /
 * kernel_listener split): commands take an identity record plus a data record; everything the
 * kernel says back (ACQUIRE, EXPIRE, MIGRATE, SPD/SAD changes) arrives as bus events.
 *
 * Implementations talk to their kernel the way a daemon does, by PF_KEY or XFRM messages; this
 * interface is what daemons and strategies call.
 */
import type { Ip } from './address.js';
import type {
  Direction,
  IpsecLevel,
  IpsecMode,
  IpsecProto,
  PolicyData,
  PolicyId,
  SecurityPolicy,
} from './policy.js';
import type { SaData, SaId, SaUpdate, SecurityAssociation } from './sa.js';
import type { Selector } from './selector.js';

export interface KernelFeatures {
  /** The backend can hold ESP/AH states (a kernel without ESP support cannot). */
  readonly espStates: boolean;
  /** SADB_X_MIGRATE / XFRM_MSG_MIGRATE is available. */
  readonly migrate: boolean;
  /** ACQUIREs carry the MSRD reference of the policy (SADB_X_EXT_REF). */
  readonly acquireRef: boolean;
  /** The backend runs a packet datapath a simulation can push packets through. */
  readonly datapath: boolean;
  /** UDP-encapsulated ESP (RFC 3948). */
  readonly udpEncap: boolean;
}

export interface GetSpiRequest {
  readonly src: Ip;
  readonly dst: Ip;
  readonly proto: Exclude<IpsecProto, 'ipcomp'>;
  readonly reqid?: number;
  readonly min?: number;
  readonly max?: number;
}

/** One SA endpoint pair change of a MIGRATE (an old/new sadb_x_ipsecrequest pair). */
export interface MigrateBundle {
  readonly proto: IpsecProto;
  readonly mode: IpsecMode;
  readonly level: IpsecLevel;
  readonly reqid: number;
  readonly oldSrc: Ip;
  readonly oldDst: Ip;
  readonly newSrc: Ip;
  readonly newDst: Ip;
}

/** The addresses IKE should use from now on (sadb_x_kmaddress): local and remote, as seen by the writer. */
export interface KmAddress {
  readonly local: Ip;
  readonly remote: Ip;
}

export interface MigrateRequest {
  readonly selector: Selector;
  readonly dir: Direction;
  readonly bundles: readonly MigrateBundle[];
  readonly kmaddress?: KmAddress;
}

/** Counts across the user/kernel boundary, for the comparison's metrics. */
export interface KernelStats {
  readonly messagesToKernel: number;
  readonly messagesFromKernel: number;
  readonly bytesToKernel: number;
  readonly bytesFromKernel: number;
  /**
   * Messages the kernel had for this backend but could not queue (its receive buffer was full:
   * ENOBUFS on Linux), when the backend can tell. A listener that missed any must reload its image.
   */
  readonly overruns?: number;
}

export interface KernelBackend {
  readonly name: string;
  features(): KernelFeatures;
  getSpi(req: GetSpiRequest): Promise<number>;
  /** Completes a larval SA made by getSpi (SADB_UPDATE), or adds a new one (SADB_ADD). */
  addSa(id: SaId, sa: SaData): Promise<void>;
  updateSa(id: SaId, update: SaUpdate): Promise<void>;
  querySa(id: SaId): Promise<SecurityAssociation | undefined>;
  delSa(id: SaId): Promise<void>;
  dumpSas(): Promise<SecurityAssociation[]>;
  flushSas(): Promise<void>;
  addPolicy(id: PolicyId, policy: PolicyData): Promise<SecurityPolicy>;
  updatePolicy(id: PolicyId, policy: PolicyData): Promise<SecurityPolicy>;
  delPolicy(id: PolicyId): Promise<void>;
  queryPolicy(id: PolicyId): Promise<SecurityPolicy | undefined>;
  dumpPolicies(): Promise<SecurityPolicy[]>;
  flushPolicies(): Promise<void>;
  /** SADB_X_MIGRATE: rejects with KernelError EINVAL / ENOENT / ENODATA and changes nothing on error. */
  migrate(req: MigrateRequest): Promise<void>;
  stats(): KernelStats;
  close(): Promise<void>;
}
