/**
 * Reassembly of IKE fragments (RFC 7383 section 2.6). Fragments are authenticated and decrypted
 * one by one before they are kept, so only the peer can fill a buffer; a buffer holds one message
 * (one Message ID, request or response), is bounded in fragments and bytes, and is dropped when
 * its timer on the Clock runs out. A fragment announcing more fragments than the buffer expects
 * means the sender re-fragmented smaller (section 2.5.2): the buffer starts again; fewer, it is
 * dropped.
 */
import { concat } from './bytes.js';

export interface FragmentLimits {
  /** Most fragments one message may have. */
  readonly maxFragments: number;
  /** Most bytes of inner payloads one reassembled message may have. */
  readonly maxBytes: number;
}

export type AddResult =
  | { readonly kind: 'stored' }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'refused'; readonly why: string }
  | { readonly kind: 'complete'; readonly firstPayload: number; readonly content: Uint8Array };

export class Reassembly {
  private total = 0;
  private parts: (Uint8Array | undefined)[] = [];
  private count = 0;
  private bytes = 0;
  private firstPayload = 0;
  /** The wire bytes of fragment 1 (a retransmitted request is recognized by them). */
  first: Uint8Array | undefined;
  private readonly limits: FragmentLimits;

  constructor(limits: FragmentLimits) {
    this.limits = limits;
  }

  /** Adds one authenticated fragment (`raw` its whole message as received). */
  add(
    f: { fragment: number; total: number; firstPayload: number; content: Uint8Array },
    raw: Uint8Array,
  ): AddResult {
    if (f.total > this.limits.maxFragments)
      return { kind: 'refused', why: `${f.total} fragments exceed the limit of ${this.limits.maxFragments}` };
    if (f.total < this.total) return { kind: 'refused', why: 'fewer fragments than the message had' };
    if (f.total > this.total) {
      this.total = f.total;
      this.parts = new Array(f.total);
      this.count = 0;
      this.bytes = 0;
      this.first = undefined;
    }
    const i = f.fragment - 1;
    if (this.parts[i]) return { kind: 'duplicate' };
    if (this.bytes + f.content.length > this.limits.maxBytes)
      return { kind: 'refused', why: `reassembled message would exceed ${this.limits.maxBytes} bytes` };
    this.parts[i] = f.content.slice();
    this.count++;
    this.bytes += f.content.length;
    if (f.fragment === 1) {
      this.firstPayload = f.firstPayload;
      this.first = raw.slice();
    }
    if (this.count < this.total) return { kind: 'stored' };
    return {
      kind: 'complete',
      firstPayload: this.firstPayload,
      content: concat(...(this.parts as Uint8Array[])),
    };
  }
}
