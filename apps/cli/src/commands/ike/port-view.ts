/**
 * What the CLI prints about endpoints: the ports on the wire. The daemon speaks of 500 and 4500 (the
 * transport maps them, see runtime.ts), so listings and events are translated back.
 */
import type { BusEvent, Endpoint } from '@mip6sec/core';
import type { IkeSaListing } from '@mip6sec/ike';
import { formatIkeEndpoint, type IkeEndpoint, wirePort } from './endpoint.js';

export class PortView {
  constructor(
    private readonly local: IkeEndpoint,
    private readonly remote: IkeEndpoint | undefined,
  ) {}

  private endpoint(e: Endpoint, side: IkeEndpoint | undefined): Endpoint {
    return { ip: e.ip, port: wirePort(e.port, side) };
  }

  /** `ADDR:PORT` / `[ADDR]:PORT` text of a listing, with the wire port. */
  private text(t: string, side: IkeEndpoint | undefined): string {
    const m = /^(?:\[(.+)\]|([^:]+)):(\d+)$/.exec(t);
    if (!m) return t;
    return formatIkeEndpoint(this.endpoint({ ip: (m[1] ?? m[2])!, port: Number(m[3]) }, side));
  }

  listing(sa: IkeSaListing): IkeSaListing {
    return { ...sa, local: this.text(sa.local, this.local), remote: this.text(sa.remote, this.remote) };
  }

  event(e: BusEvent): BusEvent {
    if (e.type === 'ike.sa-established' || e.type === 'ike.addresses-updated')
      return {
        ...e,
        local: this.endpoint(e.local, this.local),
        remote: this.endpoint(e.remote, this.remote),
      };
    return e;
  }
}
