/**
 * Linux 6.12 and later find a MIGRATE's policy with a flow lookup that reads an MH or ICMPv6 type
 * from the high byte of the selector's destination port, so a type-specific policy sent with its
 * own selector is not found (ENOENT); older kernels, and the draft, compare the selector exactly, so
 * the modified one is not found there (kernel-interfaces.md 3.7 and 4.4 item 3). UMIP sends the
 * exact selector and swallows the ENOENT; this strategy tries the other form before giving up.
 */
import type { Selector } from '@mip6sec/core';
import { IPPROTO_ICMPV6, IPPROTO_MH } from '@mip6sec/core';

/** The selector with its message type where the flow lookup reads it, or undefined if it has none. */
export function flowLookupSelector(s: Selector): Selector | undefined {
  if (s.dstPort !== 0) return undefined;
  if (s.proto === IPPROTO_MH && s.mhType !== undefined) return { ...s, dstPort: s.mhType << 8 };
  // ICMPv6 type in the source port, as the XFRM selector carries it; the code (0) in the low byte.
  if (s.proto === IPPROTO_ICMPV6 && s.srcPort !== 0) return { ...s, dstPort: (s.srcPort & 0xff) << 8 };
  return undefined;
}
