/**
 * Whether this machine can run the strongSwan interop tests, and a `describe` that skips them with
 * the reason when it cannot, except under CI where a missing prerequisite is a failure.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { describe, it } from 'vitest';

/** Where Debian's strongswan-charon puts the daemon and its plugins. */
export const CHARON_PATH = process.env.MIP6SEC_CHARON ?? '/usr/lib/ipsec/charon';
export const CHARON_PLUGIN_DIR = process.env.MIP6SEC_CHARON_PLUGINS ?? '/usr/lib/ipsec/plugins';
/** Debian packages that provide what the harness runs (see scripts/test.sh apt_packages). */
const PACKAGE_HINT = 'strongswan-charon strongswan-swanctl libcharon-extra-plugins iproute2 openssl';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function succeeds(argv: readonly string[]): boolean {
  const [file, ...args] = argv;
  if (file === undefined) return false;
  const r = spawnSync(file, args, { stdio: 'ignore', timeout: 10_000 });
  return r.status === 0;
}

function onPath(name: string): boolean {
  return succeeds(['sh', '-c', `command -v ${name}`]);
}

let cached: string | null | undefined;

/** Why the interop tests cannot run here, or null when everything they need is present. */
export function interopSkipReason(): string | null {
  if (cached !== undefined) return cached;
  cached = findSkipReason();
  return cached;
}

function findSkipReason(): string | null {
  if (process.platform !== 'linux') return `needs Linux network namespaces (platform is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces (run as root)';
  for (const tool of ['ip', 'unshare', 'mount', 'swanctl', 'openssl']) {
    if (!onPath(tool)) return `'${tool}' is not installed (apt: ${PACKAGE_HINT})`;
  }
  if (!executable(CHARON_PATH)) return `${CHARON_PATH} is missing (apt: strongswan-charon)`;
  for (const plugin of ['kernel-libipsec', 'kernel-netlink', 'vici', 'socket-default', 'openssl']) {
    try {
      accessSync(`${CHARON_PLUGIN_DIR}/libstrongswan-${plugin}.so`, constants.R_OK);
    } catch {
      return `charon plugin '${plugin}' is missing in ${CHARON_PLUGIN_DIR} (apt: ${PACKAGE_HINT})`;
    }
  }
  try {
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
  } catch {
    return '/dev/net/tun is missing; charon kernel-libipsec needs a TUN device (modprobe tun)';
  }
  const probe = `m6s-probe-${process.pid}-${randomBytes(3).toString('hex')}`;
  if (!succeeds(['ip', 'netns', 'add', probe])) return "'ip netns add' fails here (no namespace support?)";
  succeeds(['ip', 'netns', 'del', probe]);
  return null;
}

/** CI=true (or any value but 'false'/'0') means interop tests must run or fail, never skip. */
export function underCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}

/**
 * `describe` for interop suites: runs `body` when the prerequisites are there; otherwise skips it
 * with the reason in the suite title, or, under CI, registers one failing test that names it.
 */
export function describeInterop(title: string, body: () => void): void {
  const reason = interopSkipReason();
  if (reason === null) {
    describe(title, body);
  } else if (underCi()) {
    describe(title, () => {
      it('has the interop prerequisites (CI never skips these tests)', () => {
        throw new Error(`interop prerequisites missing under CI: ${reason}`);
      });
    });
  } else {
    console.warn(`[interop] skipping "${title}": ${reason}`);
    describe.skip(`${title} (skipped: ${reason})`, body);
  }
}
