/**
 * INFORMATIONAL (RFC 7296 section 1.4, 1.5): Delete of CHILD_SAs and of the IKE SA, the empty
 * liveness check (section 2.4), a peer's AUTHENTICATION_FAILED, and the MOBIKE notifies
 * (RFC 4555) a request may carry. Simultaneous deletes follow section 1.4.1: a CHILD_SA we are
 * deleting ourselves is removed and left out of our answer.
 */
import type { Datagram, Endpoint } from '@mip6sec/core';
import { bytesToU32, u32ToBytes } from '../bytes.js';
import type { ChildSa } from '../child-sa.js';
import { EXCHANGE, PROTOCOL } from '../constants.js';
import { findNotify, type IkeEngine, notify, type Reply } from '../engine.js';
import { IkeError } from '../errors.js';
import type { IkeSa } from '../ike-sa.js';
import type { DeletePayload, Payload } from '../payloads/types.js';
import { readWindow } from './ike-auth.js';
import { answerUpdateAddresses, readAddressList } from './mobike.js';
import type { ExchangeTask } from './task.js';

export class DeleteChildTask implements ExchangeTask {
  readonly exchange = EXCHANGE.INFORMATIONAL;
  readonly concurrent = true;
  private readonly engine: IkeEngine;
  private readonly child: ChildSa;
  private readonly done: (() => void) | undefined;

  constructor(engine: IkeEngine, child: ChildSa, done?: () => void) {
    this.engine = engine;
    this.child = child;
    this.done = done;
  }

  async build(): Promise<Payload[] | undefined> {
    if (this.child.state === 'deleted') {
      this.done?.();
      return undefined;
    }
    this.child.state = 'deleting';
    return [{ kind: 'D', protocol: PROTOCOL.ESP, spiSize: 4, spis: [u32ToBytes(this.child.spiIn)] }];
  }

  async handle(sa: IkeSa): Promise<undefined> {
    await this.engine.removeChild(this.child);
    this.engine.prune(sa);
    this.done?.();
    return undefined;
  }

  fail(sa: IkeSa): void {
    void this.engine.removeChild(this.child).then(() => {
      this.engine.prune(sa);
      this.done?.();
    });
  }
}

export class DeleteIkeTask implements ExchangeTask {
  readonly exchange = EXCHANGE.INFORMATIONAL;
  private readonly engine: IkeEngine;
  private readonly opts: { reason: string; keepChildren?: boolean; silent?: boolean };
  private readonly done: (() => void) | undefined;

  constructor(
    engine: IkeEngine,
    opts: { reason: string; keepChildren?: boolean; silent?: boolean },
    done?: () => void,
  ) {
    this.engine = engine;
    this.opts = opts;
    this.done = done;
  }

  async build(sa: IkeSa): Promise<Payload[]> {
    if (sa.state === 'established') sa.state = 'deleting';
    return [{ kind: 'D', protocol: PROTOCOL.IKE, spiSize: 0, spis: [] }];
  }

  async handle(sa: IkeSa): Promise<undefined> {
    await this.engine.destroy(sa, this.opts.reason, this.opts);
    this.done?.();
    return undefined;
  }

  fail(sa: IkeSa): void {
    // No answer still ends the SA (RFC 7296 section 1.4.1: it is deleted either way).
    void this.engine.destroy(sa, this.opts.reason, this.opts).then(() => this.done?.());
  }
}

/** An empty INFORMATIONAL: the liveness check of RFC 7296 section 2.4. */
export class DpdTask implements ExchangeTask {
  readonly exchange = EXCHANGE.INFORMATIONAL;
  readonly concurrent = true;
  private readonly done: (alive: boolean) => void;

  constructor(done: (alive: boolean) => void) {
    this.done = done;
  }

  async build(): Promise<Payload[]> {
    return [];
  }

  async handle(): Promise<undefined> {
    this.done(true);
    return undefined;
  }

  fail(_sa: IkeSa, _e: IkeError): void {
    this.done(false);
  }
}

/** Responder side of INFORMATIONAL. */
export async function respondInformational(
  e: IkeEngine,
  sa: IkeSa,
  payloads: readonly Payload[],
  d: Datagram,
  local: Endpoint,
): Promise<Reply> {
  const deletes = payloads.filter((p): p is DeletePayload => p.kind === 'D');
  if (deletes.some((p) => p.protocol === PROTOCOL.IKE)) {
    // The SA ends once our (empty) answer is out; a rekeyed SA's CHILD_SAs live on in its successor.
    return {
      payloads: [],
      after: () =>
        e.destroy(sa, sa.state === 'rekeyed' ? 'rekeyed' : 'deleted by peer', {
          keepChildren: sa.state === 'rekeyed',
        }),
    };
  }
  if (findNotify(payloads, 'AUTHENTICATION_FAILED')) {
    const cause = new IkeError('AUTHENTICATION_FAILED', 'peer reported AUTHENTICATION_FAILED');
    return { payloads: [], after: () => e.destroy(sa, cause.message, { cause }) };
  }
  if (findNotify(payloads, 'UPDATE_SA_ADDRESSES')) return answerUpdateAddresses(e, sa, payloads, d, local);
  const reply: Payload[] = [];
  const ours: Uint8Array[] = [];
  for (const del of deletes) {
    if (del.protocol !== PROTOCOL.ESP || del.spiSize !== 4) continue;
    for (const spi of del.spis) {
      const value = bytesToU32(spi);
      const child = sa.children.find((c) => c.spiOut === value && c.alive);
      if (!child) continue;
      if (child.state !== 'deleting') ours.push(u32ToBytes(child.spiIn));
      await e.removeChild(child);
    }
  }
  e.prune(sa);
  if (ours.length) reply.push({ kind: 'D', protocol: PROTOCOL.ESP, spiSize: 4, spis: ours });
  const list = readAddressList(payloads);
  if (list && sa.mobike) sa.peerAdditionalAddresses = list;
  readWindow(sa, payloads);
  const invalidId = findNotify(payloads, 'INVALID_MESSAGE_ID');
  if (invalidId?.data.length === 4)
    e.report(
      new IkeError(
        'INVALID_MESSAGE_ID',
        `peer found our request ${bytesToU32(invalidId.data)} beyond its window`,
      ),
    );
  const cookie2 = findNotify(payloads, 'COOKIE2');
  if (cookie2) reply.push(notify('COOKIE2', cookie2.data));
  return { payloads: reply };
}
