/**
 * The daemon configuration the `ike` verbs build from their options: one peer, swanctl-like
 * (strongSwan's `connections.<conn>` with one child), and an authenticator that also tells the
 * CLI when the peer failed to authenticate, so a responder can name the reason it refused.
 */
import { readFile } from 'node:fs/promises';
import type { Ip } from '@mip6sec/core';
import {
  type Authenticator,
  type AuthenticatorFactory,
  certificateAuthenticator,
  type IkeDaemonConfig,
  type PeerConfig,
  pskAuthenticator,
} from '@mip6sec/ike';
import { InputError } from '../../io.js';
import type { IkeEndpoint } from './endpoint.js';

/** Options every `ike` verb shares. */
export interface PeerFlags {
  id?: string;
  remoteId?: string;
  psk?: string;
  /** X.509 authentication: our certificate and key, and the CA the peer's certificate must chain to (files). */
  cert?: string;
  key?: string;
  ca?: string;
  ike: string[];
  esp: string[];
  localTs: string[];
  remoteTs: string[];
  mode: 'tunnel' | 'transport';
  child: string;
  mobike: boolean;
  encap?: boolean;
  requestHomeAddress?: boolean;
  homeAddressPool?: string;
}

/** Why the peer failed our check of its AUTH payload, as the authenticator saw it. */
export interface AuthFailure {
  readonly remoteId: string;
  readonly reason: string;
}

/**
 * Wraps an authenticator factory so a refused peer is reported to `onFailure` (a `false` verdict or
 * an error the authenticator throws) before the daemon answers AUTHENTICATION_FAILED.
 */
export function watchedAuthenticator(
  inner: AuthenticatorFactory,
  onFailure: (f: AuthFailure) => void,
): AuthenticatorFactory {
  const watched = (ctx: Parameters<AuthenticatorFactory>[0]): Authenticator => {
    const a = inner(ctx);
    const certificates = a.certificates;
    return {
      method: a.method,
      sign: (octets) => a.sign(octets),
      verify: async (octets, auth, id, certs) => {
        try {
          const ok = await a.verify(octets, auth, id, certs);
          if (!ok) onFailure({ remoteId: ctx.remoteId, reason: 'its AUTH payload does not verify' });
          return ok;
        } catch (e) {
          onFailure({ remoteId: ctx.remoteId, reason: e instanceof Error ? e.message : String(e) });
          throw e;
        }
      },
      ...(certificates ? { certificates: () => certificates.call(a) } : {}),
    };
  };
  // The factory's own properties (CA hashes for CERTREQ, its identity, ...) stay visible to the daemon.
  return Object.assign(watched, inner);
}

async function readCredential(path: string, option: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new InputError(code, `${option} ${path}: ${(e as Error).message}`);
  }
}

/** The authenticator factory the flags ask for: a PSK, or certificates (PEM or DER files). */
export async function authFromFlags(flags: PeerFlags): Promise<AuthenticatorFactory> {
  const certs = [flags.cert, flags.key, flags.ca].filter((x) => x !== undefined).length;
  if (flags.psk !== undefined && certs > 0)
    throw new InputError('EINVAL', 'give either --psk or --cert/--key/--ca, not both');
  if (certs > 0) {
    if (flags.cert === undefined || flags.key === undefined || flags.ca === undefined)
      throw new InputError('EINVAL', 'certificate authentication needs --cert, --key and --ca');
    return certificateAuthenticator({
      cert: await readCredential(flags.cert, '--cert'),
      key: await readCredential(flags.key, '--key'),
      ca: await readCredential(flags.ca, '--ca'),
    });
  }
  if (flags.psk === undefined) throw new InputError('EINVAL', 'give --psk SECRET, or --cert, --key and --ca');
  if (flags.psk === '') throw new InputError('EINVAL', '--psk: empty pre-shared key');
  return pskAuthenticator(flags.psk);
}

/** The one peer of a CLI daemon. `remote` is absent for a responder that answers anyone. */
export function peerConfig(
  flags: PeerFlags,
  auth: AuthenticatorFactory,
  local: Ip,
  remote: IkeEndpoint | undefined,
  name = 'peer',
): PeerConfig {
  return {
    name,
    local,
    ...(remote ? { remote: remote.ip } : {}),
    ...(flags.id !== undefined ? { localId: flags.id } : {}),
    ...(flags.remoteId !== undefined ? { remoteId: flags.remoteId } : {}),
    auth: { authenticator: auth },
    ...(flags.ike.length > 0 ? { ike: flags.ike } : {}),
    ...(flags.esp.length > 0 ? { esp: flags.esp } : {}),
    mobike: flags.mobike,
    ...(flags.encap ? { forceEncap: true } : {}),
    ...(flags.requestHomeAddress ? { requestHomeAddress: true } : {}),
    ...(flags.homeAddressPool ? { homeAddressPool: { prefix: flags.homeAddressPool } } : {}),
    children: [
      {
        name: flags.child,
        mode: flags.mode,
        ...(flags.esp.length > 0 ? { esp: flags.esp } : {}),
        localTs: flags.localTs.length > 0 ? flags.localTs : ['dynamic'],
        remoteTs: flags.remoteTs.length > 0 ? flags.remoteTs : ['dynamic'],
      },
    ],
  };
}

/** A daemon on `local` (its standard ports, which the transport maps) with the given peers. */
export function daemonConfig(local: Ip, peers: readonly PeerConfig[]): IkeDaemonConfig {
  return { listen: [local], peers };
}
