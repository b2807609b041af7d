/**
 * Writers for strongSwan's settings syntax (strongswan.conf and swanctl.conf share it): a typed
 * description of connections and secrets becomes a section tree, and the tree becomes text.
 */

export type SettingValue = string | number | boolean | readonly string[] | SettingsTree;
export interface SettingsTree {
  readonly [key: string]: SettingValue | undefined;
}

/** Section and key names strongSwan accepts without quoting. */
const KEY = /^[A-Za-z0-9_.\-*]+$/;

function isTree(v: SettingValue): v is SettingsTree {
  return typeof v === 'object' && !Array.isArray(v);
}

function scalar(v: string | number | boolean | readonly string[]): string {
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number') return String(v);
  const text = typeof v === 'string' ? v : v.join(', ');
  if (/["\\\n]/.test(text)) {
    // The parser unescapes \" and \\ inside quotes; a newline has no escape and is never legitimate.
    if (text.includes('\n'))
      throw new RangeError(`setting value contains a newline: ${JSON.stringify(text)}`);
    return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  }
  return /[\s{}=#,]/.test(text) || text === '' ? `"${text}"` : text;
}

/** Serializes a section tree; undefined values are left out so optional settings need no branching. */
export function formatSettings(tree: SettingsTree, indent = ''): string {
  let out = '';
  for (const [key, value] of Object.entries(tree)) {
    if (value === undefined) continue;
    if (!KEY.test(key)) throw new RangeError(`invalid strongSwan setting name: ${JSON.stringify(key)}`);
    if (isTree(value)) {
      out += `${indent}${key} {\n${formatSettings(value, `${indent}  `)}${indent}}\n`;
    } else {
      out += `${indent}${key} = ${scalar(value)}\n`;
    }
  }
  return out;
}

export interface SwanctlAuth {
  readonly auth: 'psk' | 'pubkey';
  /** IKE identity (IDi/IDr): an FQDN, user@FQDN, IP address or DN as swanctl writes it. */
  readonly id: string;
  /** Certificate file names in the swanctl x509/ directory (local side, pubkey auth). */
  readonly certs?: readonly string[];
  /** CA file names in x509ca/ the peer's chain must end in (remote side). */
  readonly cacerts?: readonly string[];
}

export interface SwanctlChild {
  readonly localTs: readonly string[];
  readonly remoteTs: readonly string[];
  /** ESP proposals, e.g. 'aes256gcm16-modp2048' (a DH group means PFS on rekey). */
  readonly espProposals: readonly string[];
  readonly mode?: 'tunnel' | 'transport';
  readonly rekeyTime?: string | number;
  readonly lifeTime?: string | number;
  readonly startAction?: 'none' | 'trap' | 'start';
  readonly closeAction?: 'none' | 'trap' | 'start';
  readonly dpdAction?: 'clear' | 'trap' | 'restart';
}

export interface SwanctlConnection {
  readonly localAddrs?: readonly string[];
  readonly remoteAddrs?: readonly string[];
  readonly localPort?: number;
  readonly remotePort?: number;
  /** IKE proposals, e.g. 'aes128-sha256-modp3072'. */
  readonly proposals: readonly string[];
  readonly mobike?: boolean;
  /** Force UDP encapsulation (kernel-libipsec forces it anyway by faking NAT). */
  readonly encap?: boolean;
  readonly rekeyTime?: string | number;
  readonly reauthTime?: string | number;
  readonly overTime?: string | number;
  readonly dpdDelay?: string | number;
  readonly keyingtries?: number;
  readonly local: SwanctlAuth;
  readonly remote: SwanctlAuth;
  readonly children: Readonly<Record<string, SwanctlChild>>;
}

export interface SwanctlPsk {
  readonly ids: readonly string[];
  readonly secret: string;
}

export interface SwanctlConfig {
  readonly connections: Readonly<Record<string, SwanctlConnection>>;
  readonly psks?: readonly SwanctlPsk[];
}

function authTree(a: SwanctlAuth): SettingsTree {
  return { auth: a.auth, id: a.id, certs: a.certs, cacerts: a.cacerts };
}

function childTree(c: SwanctlChild): SettingsTree {
  return {
    local_ts: c.localTs,
    remote_ts: c.remoteTs,
    esp_proposals: c.espProposals,
    mode: c.mode ?? 'tunnel',
    rekey_time: c.rekeyTime,
    life_time: c.lifeTime,
    start_action: c.startAction,
    close_action: c.closeAction,
    dpd_action: c.dpdAction,
  };
}

function connectionTree(c: SwanctlConnection): SettingsTree {
  return {
    version: 2,
    local_addrs: c.localAddrs,
    remote_addrs: c.remoteAddrs,
    local_port: c.localPort,
    remote_port: c.remotePort,
    proposals: c.proposals,
    mobike: c.mobike,
    encap: c.encap,
    rekey_time: c.rekeyTime,
    reauth_time: c.reauthTime,
    over_time: c.overTime,
    dpd_delay: c.dpdDelay,
    keyingtries: c.keyingtries,
    local: authTree(c.local),
    remote: authTree(c.remote),
    children: Object.fromEntries(Object.entries(c.children).map(([name, child]) => [name, childTree(child)])),
  };
}

/** The swanctl.conf text for connections and pre-shared keys. */
export function formatSwanctlConf(config: SwanctlConfig): string {
  const secrets: Record<string, SettingsTree> = {};
  (config.psks ?? []).forEach((psk, i) => {
    const ids = Object.fromEntries(psk.ids.map((id, j) => [`id-${j + 1}`, id]));
    secrets[`ike-${i + 1}`] = { ...ids, secret: psk.secret };
  });
  const conns = Object.fromEntries(
    Object.entries(config.connections).map(([n, c]) => [n, connectionTree(c)]),
  );
  return formatSettings({ connections: conns, secrets });
}

/**
 * Plugins charon loads: crypto and credentials, kernel-libipsec for ESP in userspace (this kernel
 * has no ESP states), kernel-netlink for addresses, routes and roaming events (kernel-libipsec
 * provides the IPsec interface, so no XFRM state or policy is installed), UDP sockets and vici.
 */
export const CHARON_PLUGINS = [
  'random',
  'nonce',
  'openssl',
  'pem',
  'pkcs1',
  'pkcs8',
  'x509',
  'pubkey',
  'constraints',
  'revocation',
  'hmac',
  'gcm',
  'aes',
  'sha1',
  'sha2',
  'gmp',
  'kdf',
  'kernel-libipsec',
  'kernel-netlink',
  'socket-default',
  'vici',
] as const;

/** What swanctl needs to parse credential files before handing them to charon. */
export const SWANCTL_PLUGINS = ['pem', 'pkcs1', 'pkcs8', 'x509', 'openssl'] as const;

export interface StrongswanConfOptions {
  readonly viciSocket: string;
  readonly logPath: string;
  /** filelog levels per subsystem (default 1, ike/cfg/knl 2 unless given). */
  readonly logLevels?: Readonly<Record<string, number>>;
  /** Further `charon { ... }` settings, e.g. { retransmit_timeout: 1 }. */
  readonly charon?: SettingsTree;
}

/** A strongswan.conf that touches nothing of the host's strongSwan setup. */
export function formatStrongswanConf(o: StrongswanConfOptions): string {
  const levels = { default: 1, ike: 2, cfg: 2, knl: 2, ...o.logLevels };
  return formatSettings({
    charon: {
      load: CHARON_PLUGINS.join(' '),
      // Fail fast in tests: ~7 s until a silent peer is given up instead of minutes.
      retransmit_timeout: 1,
      retransmit_base: 1.4,
      retransmit_tries: 3,
      // Rekeyed inbound SAs linger 5 s by default; tests wait for them to go.
      delete_rekeyed_delay: 1,
      ...o.charon,
      plugins: { vici: { socket: `unix://${o.viciSocket}` } },
      filelog: {
        interop: { path: o.logPath, time_format: '%T', time_add_ms: true, flush_line: true, ...levels },
      },
      syslog: { daemon: { default: -1 }, auth: { default: -1 } },
    },
    swanctl: { load: SWANCTL_PLUGINS.join(' '), socket: `unix://${o.viciSocket}` },
  });
}
