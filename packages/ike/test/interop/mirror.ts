/**
 * Whether charon's `swanctl --list-sas` shows what our `listSas()` shows for one IKE SA, seen from
 * the other end: the same SPIs, opposite roles, mirrored addresses, ports and identities, the same
 * algorithms, and for every installed CHILD_SA mirrored ESP SPIs, mode, encapsulation, algorithms
 * and selectors. The result lists every difference, so a wait can retry and a failure names them.
 */
import { formatEndpoint } from '@mip6sec/core';
import type { ChildSaListing, IkeSaListing } from '../../src/ike-daemon.js';
import type { Charon } from './charon.js';
import { charonAlgorithms } from './charon-names.js';
import { waitUntil } from './exec.js';
import type { OurDaemon } from './our-daemon.js';
import type { ChildSaInfo, IkeSaInfo } from './swanctl-output.js';

function differ(out: string[], what: string, ours: unknown, theirs: unknown): void {
  if (JSON.stringify(ours) !== JSON.stringify(theirs))
    out.push(`${what}: ours ${JSON.stringify(ours)}, charon ${JSON.stringify(theirs)}`);
}

function algorithms(c: {
  encrAlg?: string;
  encrKeysize?: number;
  integAlg?: string;
  prfAlg?: string;
  dhGroup?: string;
}) {
  return {
    encrAlg: c.encrAlg,
    encrKeysize: c.encrKeysize,
    integAlg: c.integAlg,
    prfAlg: c.prfAlg,
    dhGroup: c.dhGroup,
  };
}

function childMismatches(out: string[], ours: ChildSaListing, theirs: ChildSaInfo): void {
  const where = `CHILD_SA ${ours.name} ${ours.spiIn}_i`;
  differ(
    out,
    `${where} SPIs (ours in/out vs charon out/in)`,
    [ours.spiIn, ours.spiOut],
    [theirs.spiOut, theirs.spiIn],
  );
  differ(out, `${where} mode`, ours.mode.toUpperCase(), theirs.mode);
  differ(out, `${where} protocol`, 'ESP', theirs.protocol);
  differ(out, `${where} UDP encapsulation`, ours.encap, theirs.encap);
  const expected = charonAlgorithms(ours.algorithms, 'esp');
  differ(out, `${where} algorithms`, algorithms(expected), algorithms(theirs));
  differ(out, `${where} ESN`, expected.esn, theirs.esn);
  differ(
    out,
    `${where} selectors (ours local/remote vs charon remote/local)`,
    [ours.localTs, ours.remoteTs],
    [theirs.remoteTs, theirs.localTs],
  );
}

/** The differences between our listing and charon's of the same IKE SA (empty when they mirror). */
export function mirrorMismatches(ours: IkeSaListing, theirs: IkeSaInfo): string[] {
  const out: string[] = [];
  differ(out, 'IKE SPIs', [ours.spiI, ours.spiR], [theirs.initiatorSpi, theirs.responderSpi]);
  differ(out, 'state', ours.state.toUpperCase(), theirs.state);
  differ(out, 'initiator (ours vs not charon)', ours.initiator, !theirs.initiator);
  differ(out, 'our endpoint', ours.local, formatEndpoint({ ip: theirs.remoteHost, port: theirs.remotePort }));
  differ(
    out,
    "charon's endpoint",
    ours.remote,
    formatEndpoint({ ip: theirs.localHost, port: theirs.localPort }),
  );
  differ(
    out,
    'identities (ours local/remote vs charon remote/local)',
    [ours.localId, ours.remoteId],
    [theirs.remoteId, theirs.localId],
  );
  if (ours.algorithms === undefined) out.push('our IKE SA has no algorithms yet');
  else
    differ(out, 'IKE algorithms', algorithms(charonAlgorithms(ours.algorithms, 'ike')), algorithms(theirs));
  const mine = ours.children.filter((c) => c.state === 'installed');
  const theirsInstalled = theirs.children.filter((c) => c.state === 'INSTALLED');
  differ(
    out,
    'installed CHILD_SAs (our inbound SPIs vs charon outbound SPIs)',
    mine.map((c) => c.spiIn).sort(),
    theirsInstalled.map((c) => c.spiOut).sort(),
  );
  for (const c of mine) {
    const t = theirsInstalled.find((x) => x.spiOut === c.spiIn);
    if (t) childMismatches(out, c, t);
  }
  return out;
}

/** The one established IKE SA of ours and charon's for the scenario (by our peer and charon's connection). */
export interface MirroredSa {
  readonly ours: IkeSaListing;
  readonly theirs: IkeSaInfo;
}

/**
 * Waits until our daemon has exactly one IKE SA for `peer`, charon exactly one for `conn`, the two
 * mirror each other and `accept` (if given) takes them; on timeout the error lists the last
 * differences and charon's log tail.
 */
export async function waitMirrored(
  charon: Charon,
  ours: OurDaemon,
  peer: string,
  conn: string,
  options: { timeoutMs?: number; accept?: (m: MirroredSa) => boolean } = {},
): Promise<MirroredSa> {
  let why = '';
  return waitUntil(
    `charon's IKE_SA ${conn} to mirror ours for peer ${peer}`,
    async () => {
      const o = ours.daemon.listSas().filter((s) => s.peer === peer && s.state !== 'dead');
      const t = (await charon.listSas()).filter((s) => s.name === conn);
      if (o.length !== 1 || t.length !== 1) {
        why = `ours: ${o.map((s) => `${s.ikeSpi} ${s.state}`).join(', ') || 'none'}; charon: ${
          t.map((s) => `${s.initiatorSpi}:${s.responderSpi} ${s.state}`).join(', ') || 'none'
        }`;
        return undefined;
      }
      const diff = mirrorMismatches(o[0]!, t[0]!);
      const m = { ours: o[0]!, theirs: t[0]! };
      if (diff.length === 0 && options.accept && !options.accept(m))
        diff.push('mirrored, but not yet as the test expects');
      why = diff.join('\n');
      return diff.length === 0 ? m : undefined;
    },
    {
      timeoutMs: options.timeoutMs ?? 10_000,
      intervalMs: 150,
      explain: async () =>
        `last differences:\n${why}\nour errors: ${ours.errorText()}\n${await charon.diagnostics()}`,
    },
  );
}
