/**
 * What the PF_KEY message handlers share: the kernel's databases and its three ways of answering, named
 * after af_key.c's pfkey_broadcast classes (kernel-interfaces.md section 1.1):
 *
 * | class      | who receives                                        | used for                               |
 * |------------|-----------------------------------------------------|----------------------------------------|
 * | one        | the writing socket                                  | GET, DUMP, SPDGET, SPDDUMP, GETSPI, errors, flush answers |
 * | registered | every socket that did SADB_REGISTER (plus the writer) | REGISTER answers, ACQUIRE, EXPIRE    |
 * | all        | every socket                                        | ADD/UPDATE/DELETE, SPD changes, flushes, MIGRATE, PROMISC |
 *
 * Promiscuous sockets get a copy of every message as well, requests included.
 */
import type { Clock } from '@mip6sec/core';
import type { PfkeyMessageInit } from '@mip6sec/pfkey-codec';
import type { AcquireTable } from './acquire.js';
import type { Lifetimes } from './lifetimes.js';
import type { MigrateLookup } from './migrate.js';
import type { Pad } from './pad.js';
import type { PfkeySocket } from './pfkey-socket.js';
import type { Sad, SpiRandom } from './sad.js';
import type { Spd } from './spd.js';

export type BroadcastClass = 'one' | 'registered' | 'all';

export interface KernelContext {
  readonly clock: Clock;
  readonly spd: Spd;
  readonly sad: Sad;
  readonly pad: Pad;
  readonly acquires: AcquireTable;
  readonly lifetimes: Lifetimes;
  readonly spiRandom: SpiRandom;
  readonly migrateLookup: MigrateLookup;
  /** Encodes and delivers a message; returns true when at least one socket of the class got it. */
  broadcast(msg: PfkeyMessageInit, cls: BroadcastClass, one?: PfkeySocket): boolean;
  /** True when some socket is registered for an SA type (Linux: a key manager is alive). */
  hasRegistered(): boolean;
}
