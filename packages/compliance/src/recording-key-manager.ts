/**
 * A KeyManager test double for strategy suites: it records every call in one ordered log (which
 * the suite also writes its own marks into, such as "BU released"), keeps a list of IKE_SAs that
 * `updateAddresses`, `reestablish` and `discard` really change, and, given the host bus, follows kernel
 * MIGRATE broadcasts the way strongSwan's migrate job does (IKE_SAs owning a CHILD_SA with a
 * migrated reqid take the kmaddress; the kmaddress becomes the policy's address hint).
 */
import type {
  Bus,
  Direction,
  IkeSaInfo,
  IkeSaMatch,
  Ip,
  KernelMigrate,
  KeyManager,
  ResolvedAddresses,
  Selector,
} from '@mip6sec/core';
import { formatPrefix, PROTO_ANY } from '@mip6sec/core';
import type { Subscription } from 'rxjs';

export type KeyManagerCall =
  | {
      readonly kind: 'updateAddresses';
      readonly match: { local?: Ip; remote: Ip };
      readonly to: { local: Ip; remote: Ip };
      readonly cause: string;
    }
  | { readonly kind: 'reestablish'; readonly peer: Ip; readonly local: Ip }
  | { readonly kind: 'reestablish-done'; readonly peer: Ip; readonly local: Ip }
  | { readonly kind: 'discard'; readonly match: { local?: Ip; remote: Ip }; readonly reason: string }
  | { readonly kind: 'migrate-followed'; readonly reqids: readonly number[] }
  | { readonly kind: 'mark'; readonly label: string };

export interface RecordingKeyManagerOptions {
  /** Follow kernel.migrate broadcasts on this bus, as an IKE daemon does. */
  readonly bus?: Bus;
  /** Event-loop turns a re-negotiation takes before it resolves (default 3). */
  readonly reestablishTurns?: number;
}

/** Ports and MH types are not in MIGRATE broadcasts; hints are keyed without them. */
function hintKey(p: { selector: Selector; dir: Direction }): string {
  const s = p.selector;
  return `${p.dir} ${formatPrefix(s.src)} ${formatPrefix(s.dst)} ${s.proto === 0 ? PROTO_ANY : s.proto}`;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class RecordingKeyManager implements KeyManager {
  readonly calls: KeyManagerCall[] = [];
  private sas: IkeSaInfo[] = [];
  private readonly hints = new Map<string, ResolvedAddresses>();
  private readonly sub?: Subscription;
  private nextSpi = 1;

  constructor(private readonly options: RecordingKeyManagerOptions = {}) {
    this.sub = options.bus?.on('kernel.migrate').subscribe((e) => this.followMigrate(e));
  }

  /** Adds an IKE_SA as if IKE had negotiated it. */
  addIkeSa(sa: {
    local: Ip;
    remote: Ip;
    childReqids: readonly number[];
    localId?: string;
    remoteId?: string;
  }): IkeSaInfo {
    const info: IkeSaInfo = {
      ikeSpi: (this.nextSpi++).toString(16).padStart(16, '0'),
      local: { ip: sa.local, port: 500 },
      remote: { ip: sa.remote, port: 500 },
      localId: sa.localId ?? 'local',
      remoteId: sa.remoteId ?? 'remote',
      state: 'established',
      childReqids: [...sa.childReqids],
    };
    this.sas.push(info);
    return info;
  }

  /** Writes a mark into the call log (e.g. when the suite lets a BU go). */
  mark(label: string): void {
    this.calls.push({ kind: 'mark', label });
  }

  ikeSas(match?: IkeSaMatch): readonly IkeSaInfo[] {
    if (!match) return this.sas;
    const remotes = new Set(match.remotes ?? []);
    return this.sas.filter(
      (s) => remotes.has(s.remote.ip) || (match.mpi !== undefined && s.ref?.mpi === match.mpi),
    );
  }

  async updateAddresses(
    match: { local?: Ip; remote: Ip },
    to: { local: Ip; remote: Ip },
    cause: 'migrate' | 'msrd',
  ): Promise<number> {
    this.calls.push({ kind: 'updateAddresses', match, to, cause });
    let n = 0;
    this.sas = this.sas.map((sa) => {
      if (sa.remote.ip !== match.remote || (match.local !== undefined && sa.local.ip !== match.local))
        return sa;
      n++;
      return { ...sa, local: { ...sa.local, ip: to.local }, remote: { ...sa.remote, ip: to.remote } };
    });
    return n;
  }

  async reestablish(peer: Ip, local: Ip): Promise<void> {
    this.calls.push({ kind: 'reestablish', peer, local });
    const old = this.sas.filter((sa) => sa.remote.ip === peer);
    this.sas = this.sas.filter((sa) => sa.remote.ip !== peer);
    for (let i = 0; i < (this.options.reestablishTurns ?? 3); i++) await turn();
    for (const sa of old) this.addIkeSa({ local, remote: peer, childReqids: sa.childReqids });
    this.calls.push({ kind: 'reestablish-done', peer, local });
  }

  async discard(match: { local?: Ip; remote: Ip }, reason: string): Promise<number> {
    this.calls.push({ kind: 'discard', match, reason });
    const before = this.sas.length;
    this.sas = this.sas.filter(
      (sa) => sa.remote.ip !== match.remote || (match.local !== undefined && sa.local.ip !== match.local),
    );
    return before - this.sas.length;
  }

  hintFor(policy: { selector: Selector; dir: Direction }): ResolvedAddresses | undefined {
    return this.hints.get(hintKey(policy));
  }

  close(): void {
    this.sub?.unsubscribe();
  }

  private followMigrate(e: KernelMigrate): void {
    const km = e.kmaddress;
    // strongSwan acts only on a MIGRATE with kmaddress.
    if (!km) return;
    this.hints.set(hintKey(e), { local: km.local, remote: km.remote });
    const reqids = e.bundles.map((b) => b.reqid).filter((r) => r !== 0);
    this.calls.push({ kind: 'migrate-followed', reqids });
    this.sas = this.sas.map((sa) =>
      sa.childReqids.some((r) => reqids.includes(r)) &&
      (sa.local.ip !== km.local || sa.remote.ip !== km.remote) &&
      // On an HA the reqids are shared by every MN: only the IKE_SA whose peer is in an old pair moves.
      e.bundles.some((b) => b.oldSrc === sa.remote.ip || b.oldDst === sa.remote.ip)
        ? { ...sa, local: { ...sa.local, ip: km.local }, remote: { ...sa.remote, ip: km.remote } }
        : sa,
    );
  }
}
