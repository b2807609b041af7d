/**
 * MOBIKE (RFC 4555): address lists (ADDITIONAL_IP4/6_ADDRESS, NO_ADDITIONAL_ADDRESSES, section
 * 3.6), the original initiator's UPDATE_SA_ADDRESSES with NAT detection and COOKIE2 (sections 3.5,
 * 3.8), the responder adopting the addresses of that request, and moving the CHILD_SAs in the
 * kernel without rekeying them (KernelBackend.updateSa).
 */
import { type Datagram, type Endpoint, type Ip, ipFamily, ipFromBytes, ipToBytes } from '@mip6sec/core';
import { equalBytes } from '../bytes.js';
import { EXCHANGE } from '../constants.js';
import { allNotifies, findNotify, type IkeEngine, ikeSpiText, notify, type Reply } from '../engine.js';
import { IkeError } from '../errors.js';
import type { IkeSa } from '../ike-sa.js';
import { natBehind, natHash } from '../nat-detection.js';
import type { Payload } from '../payloads/types.js';
import type { ExchangeTask } from './task.js';

/** strongSwan sends at most this many ADDITIONAL_* notifies. */
const MAX_ADDRESSES = 8;

export function addressListNotifies(addresses: readonly Ip[]): Payload[] {
  if (addresses.length === 0) return [notify('NO_ADDITIONAL_ADDRESSES')];
  return addresses
    .slice(0, MAX_ADDRESSES)
    .map((a) =>
      notify(ipFamily(a) === 4 ? 'ADDITIONAL_IP4_ADDRESS' : 'ADDITIONAL_IP6_ADDRESS', ipToBytes(a)),
    );
}

/** The peer's address list, or undefined when the message carries none. */
export function readAddressList(payloads: readonly Payload[]): Ip[] | undefined {
  const v4 = allNotifies(payloads, 'ADDITIONAL_IP4_ADDRESS').filter((n) => n.data.length === 4);
  const v6 = allNotifies(payloads, 'ADDITIONAL_IP6_ADDRESS').filter((n) => n.data.length === 16);
  if (v4.length + v6.length === 0) return findNotify(payloads, 'NO_ADDITIONAL_ADDRESSES') ? [] : undefined;
  return [...v4.map((n) => ipFromBytes(n.data, 0, 4)), ...v6.map((n) => ipFromBytes(n.data, 0, 6))];
}

function natNotifies(e: IkeEngine, sa: IkeSa): Payload[] {
  return [
    notify('NAT_DETECTION_SOURCE_IP', natHash(e.crypto, sa.spiI, sa.spiR, sa.local)),
    notify('NAT_DETECTION_DESTINATION_IP', natHash(e.crypto, sa.spiI, sa.spiR, sa.remote)),
  ];
}

/**
 * Moves the CHILD_SAs that follow the IKE SA (those whose kernel SAs sat on its old addresses)
 * to its current addresses, with UDP encapsulation when a NAT is in the path.
 */
export async function moveChildren(e: IkeEngine, sa: IkeSa, old: { local: Ip; remote: Ip }): Promise<void> {
  const encap = sa.natLocal || sa.natRemote;
  for (const c of sa.liveChildren()) {
    if (c.local !== old.local || c.remote !== old.remote) continue;
    const inbound = c.inboundId();
    const outbound = c.outboundId();
    await e.kernel.updateSa(inbound, {
      newSrc: sa.remote.ip,
      newDst: sa.local.ip,
      encap: encap ? { sport: sa.remote.port, dport: sa.local.port } : null,
    });
    await e.kernel.updateSa(outbound, {
      newSrc: sa.local.ip,
      newDst: sa.remote.ip,
      encap: encap ? { sport: sa.local.port, dport: sa.remote.port } : null,
    });
    c.local = sa.local.ip;
    c.remote = sa.remote.ip;
    c.encap = encap ? { local: sa.local.port, remote: sa.remote.port } : undefined;
  }
}

/** Original initiator: tells the peer to use the addresses the IKE SA now has (RFC 4555 section 3.5). */
export class UpdateAddressesTask implements ExchangeTask {
  readonly exchange = EXCHANGE.INFORMATIONAL;
  private readonly engine: IkeEngine;
  private readonly old: { local: Ip; remote: Ip };
  private readonly done: (error?: IkeError) => void;
  private cookie2: Uint8Array = new Uint8Array(0);

  constructor(engine: IkeEngine, old: { local: Ip; remote: Ip }, done: (error?: IkeError) => void) {
    this.engine = engine;
    this.old = old;
    this.done = done;
  }

  async build(sa: IkeSa): Promise<Payload[]> {
    this.cookie2 = this.engine.crypto.randomBytes(16);
    return [notify('UPDATE_SA_ADDRESSES'), ...natNotifies(this.engine, sa), notify('COOKIE2', this.cookie2)];
  }

  async handle(sa: IkeSa, payloads: readonly Payload[]): Promise<undefined> {
    const e = this.engine;
    if (findNotify(payloads, 'UNACCEPTABLE_ADDRESSES'))
      throw new IkeError('UNACCEPTABLE_ADDRESSES', 'peer refused our new addresses');
    const echo = findNotify(payloads, 'COOKIE2');
    if (!echo || !equalBytes(echo.data, this.cookie2)) {
      // strongSwan closes the IKE SA on a COOKIE2 mismatch: the response is not to our request.
      await e.destroy(sa, 'MOBIKE COOKIE2 mismatch');
      throw new IkeError('INVALID_SYNTAX', 'COOKIE2 not echoed');
    }
    const src = allNotifies(payloads, 'NAT_DETECTION_SOURCE_IP').map((n) => n.data);
    const dst = allNotifies(payloads, 'NAT_DETECTION_DESTINATION_IP').map((n) => n.data);
    sa.natLocal = natBehind(e.crypto, sa.spiI, sa.spiR, sa.local, dst);
    sa.natRemote = natBehind(e.crypto, sa.spiI, sa.spiR, sa.remote, src);
    await moveChildren(e, sa, this.old);
    e.spd.moveHints(this.old, { local: sa.local.ip, remote: sa.remote.ip });
    e.bus.emit({
      type: 'ike.addresses-updated',
      ikeSpi: ikeSpiText(sa),
      local: sa.local,
      remote: sa.remote,
      cause: 'mobike',
    });
    this.done();
    return undefined;
  }

  fail(_sa: IkeSa, error: IkeError): void {
    this.done(error);
  }
}

/** Sends our address list (RFC 4555 section 3.6); the responder's way to suggest a move. */
export class AddressListTask implements ExchangeTask {
  readonly exchange = EXCHANGE.INFORMATIONAL;
  private readonly addresses: readonly Ip[];

  constructor(addresses: readonly Ip[]) {
    this.addresses = addresses;
  }

  async build(): Promise<Payload[]> {
    return addressListNotifies(this.addresses);
  }

  async handle(): Promise<undefined> {
    return undefined;
  }

  fail(): void {}
}

/**
 * Responder side of UPDATE_SA_ADDRESSES: the new peer address and port come from this request's
 * IP/UDP header; NAT detection is redone; the IKE SA and all its CHILD_SAs move.
 */
export async function answerUpdateAddresses(
  e: IkeEngine,
  sa: IkeSa,
  payloads: readonly Payload[],
  d: Datagram,
  local: Endpoint,
): Promise<Reply> {
  if (!sa.mobike || sa.initiator)
    throw new IkeError('INVALID_SYNTAX', 'UPDATE_SA_ADDRESSES without MOBIKE, or to the original initiator');
  const old = { local: sa.local.ip, remote: sa.remote.ip };
  sa.local = local;
  sa.remote = d.src;
  if (local.port === e.cfg.nattPort) sa.natT = true;
  const src = allNotifies(payloads, 'NAT_DETECTION_SOURCE_IP').map((n) => n.data);
  const dst = allNotifies(payloads, 'NAT_DETECTION_DESTINATION_IP').map((n) => n.data);
  sa.natRemote = natBehind(e.crypto, sa.spiI, sa.spiR, sa.remote, src);
  sa.natLocal = natBehind(e.crypto, sa.spiI, sa.spiR, sa.local, dst);
  const list = readAddressList(payloads);
  if (list) sa.peerAdditionalAddresses = list;
  await moveChildren(e, sa, old);
  e.spd.moveHints(old, { local: sa.local.ip, remote: sa.remote.ip });
  const reply: Payload[] = natNotifies(e, sa);
  const cookie2 = findNotify(payloads, 'COOKIE2');
  if (cookie2) reply.push(notify('COOKIE2', cookie2.data));
  e.bus.emit({
    type: 'ike.addresses-updated',
    ikeSpi: ikeSpiText(sa),
    local: sa.local,
    remote: sa.remote,
    cause: 'mobike',
  });
  return { payloads: reply };
}
