import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { requireAddon } from './addon.test-util.js';

const SCRIPT = fileURLToPath(new URL('../scripts/build-addon.mjs', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'crypto-openssl-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs the build script into a scratch directory with `env`, as an install would. */
function build(name: string, env: Record<string, string>) {
  const out = join(work, name);
  const r = spawnSync(process.execPath, [SCRIPT, '--force', '--out-dir', out], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  const reason = (() => {
    try {
      return readFileSync(join(out, 'build-error.txt'), 'utf8');
    } catch {
      return undefined;
    }
  })();
  return { status: r.status, stderr: r.stderr, reason, out };
}

describe('the addon', () => {
  it('is built and loads here (fails under CI when it did not build, skips with the reason elsewhere)', ({
    skip,
  }) => {
    expect(requireAddon(skip)).toBe(true);
  });

  it('can be switched off, and then says so', async () => {
    vi.resetModules();
    vi.stubEnv('MIP6SEC_OPENSSL_ADDON', '0');
    try {
      const fresh = await import('./index.js');
      expect(fresh.opensslAddon()).toEqual({
        available: false,
        reason: 'disabled by MIP6SEC_OPENSSL_ADDON=0',
      });
      expect(() => new fresh.OpensslAead('aes-gcm', new Uint8Array(16))).toThrow(
        expect.objectContaining({
          name: 'OpensslError',
          code: 'ENOSYS',
          message: expect.stringMatching(/disabled/),
        }),
      );
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });

  it('reports a runtime that cannot load addons (a browser) as unavailable', async () => {
    vi.resetModules();
    const spy = vi.spyOn(process, 'getBuiltinModule').mockReturnValue(undefined as never);
    const saved = process.getBuiltinModule;
    // Whatever the environment says about the addon, the runtime is what is missing here.
    vi.stubEnv('MIP6SEC_OPENSSL_ADDON', '1');
    try {
      // @ts-expect-error: a runtime without getBuiltinModule
      process.getBuiltinModule = undefined;
      const fresh = await import('./addon.js');
      expect(fresh.opensslAddon()).toEqual({
        available: false,
        reason: 'this runtime cannot load Node addons',
      });
    } finally {
      process.getBuiltinModule = saved;
      spy.mockRestore();
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });
});

describe('scripts/build-addon.mjs never fails an install', () => {
  it('without a compiler: exit 0, and the reason names gcc', () => {
    const r = build('no-cc', { CC: join(work, 'no-such-compiler') });
    expect(r.status).toBe(0);
    expect(r.reason).toMatch(/no C compiler: .*no-such-compiler is not on PATH \(install gcc\)/);
    expect(r.stderr).toMatch(/node:crypto will be used/);
  });

  it('without the OpenSSL headers: exit 0, and the reason names libssl-dev', () => {
    // A compiler that fails the way gcc does when <openssl/evp.h> is missing.
    const cc = join(work, 'fake-cc');
    writeFileSync(
      cc,
      '#!/bin/sh\necho "openssl_aead.c:27:10: fatal error: openssl/evp.h: No such file or directory" >&2\nexit 1\n',
    );
    chmodSync(cc, 0o755);
    const r = build('no-headers', { CC: cc });
    expect(r.status).toBe(0);
    expect(r.reason).toMatch(
      /openssl\/evp\.h: No such file.*install OpenSSL 3 development headers: libssl-dev/,
    );
  });

  it('a library that compiles but does not load is not installed', () => {
    // A "compiler" that writes something that is no shared object.
    const cc = join(work, 'junk-cc');
    writeFileSync(cc, '#!/bin/sh\nfor last; do :; done\necho junk > "$last"\n');
    chmodSync(cc, 0o755);
    const r = build('junk', { CC: cc });
    expect(r.status).toBe(0);
    expect(r.reason).toMatch(/does not load/);
    expect(() => readFileSync(join(r.out, 'openssl_aead.node'))).toThrow();
  });
});
