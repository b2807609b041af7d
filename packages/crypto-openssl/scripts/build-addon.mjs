#!/usr/bin/env node
/**
 * Compiles addon/openssl_aead.c into build/openssl_aead.node with the C compiler (gcc, or $CC) against
 * libcrypto, with the Node-API headers of the `node-api-headers` package (or, without it, the running
 * Node's own include directory). No node-gyp, no Python.
 *
 * The addon is optional, so this never fails the caller: without a compiler, headers or libcrypto it
 * writes the reason to build/build-error.txt (which the loader reports) and exits 0. It runs as the
 * package's nx `build-addon` target (before `build`) and as its npm `install` script, where a failure
 * must not fail the install. `--strict` exits 1 on failure instead, for someone who wants to know now.
 *
 *   node scripts/build-addon.mjs [--force] [--strict] [--quiet] [--out-dir DIR]
 *
 * `--out-dir` builds somewhere else than build/ (the tests use it to try failures without touching the
 * addon other tests load).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = join(ROOT, 'addon', 'openssl_aead.c');
const argv = process.argv.slice(2);
const args = new Set(argv);
const outDirAt = argv.indexOf('--out-dir');
const OUT_DIR = outDirAt >= 0 && argv[outDirAt + 1] ? resolve(argv[outDirAt + 1]) : join(ROOT, 'build');
const OUT = join(OUT_DIR, 'openssl_aead.node');
const ERROR_FILE = join(OUT_DIR, 'build-error.txt');
const say = args.has('--quiet') ? () => {} : (line) => console.log(`crypto-openssl: ${line}`);

/** The directory holding node_api.h, and where it came from. */
function nodeApiHeaders() {
  try {
    const pkg = createRequire(import.meta.url).resolve('node-api-headers/package.json');
    const dir = join(dirname(pkg), 'include');
    if (existsSync(join(dir, 'node_api.h'))) return { dir, from: 'node-api-headers' };
  } catch {
    // not installed: try the running Node's headers
  }
  const dir = resolve(dirname(process.execPath), '..', 'include', 'node');
  if (existsSync(join(dir, 'node_api.h'))) return { dir, from: dir };
  return undefined;
}

function upToDate() {
  if (args.has('--force') || !existsSync(OUT)) return false;
  const built = statSync(OUT).mtimeMs;
  return [SOURCE, fileURLToPath(import.meta.url)].every((f) => statSync(f).mtimeMs <= built);
}

/** What to tell the user about a compiler failure: the first error line, and the package that fixes it. */
function explain(stderr) {
  const lines = stderr.split('\n').filter((l) => /error|undefined reference|cannot find/i.test(l));
  const first = (lines[0] ?? stderr.trim().split('\n')[0] ?? '').trim();
  if (/openssl\/\w+\.h/.test(first)) return `${first} (install OpenSSL 3 development headers: libssl-dev)`;
  if (/-lcrypto/.test(first)) return `${first} (install libssl-dev for libcrypto)`;
  return first || 'the compiler failed without a message';
}

function compile(headers) {
  const cc = process.env.CC || 'gcc';
  const tmp = `${OUT}.${process.pid}.tmp`;
  // The Node-API directory goes after the system ones (-idirafter): Node's own include directory also
  // holds Node's bundled OpenSSL headers, and the system libcrypto's must win.
  const flags = ['-shared', '-fPIC', '-O2', '-Wall', '-Wextra', '-std=c11', '-D_DEFAULT_SOURCE'];
  const r = spawnSync(cc, [...flags, '-idirafter', headers.dir, SOURCE, '-lcrypto', '-o', tmp], {
    encoding: 'utf8',
  });
  if (r.error) {
    return r.error.code === 'ENOENT'
      ? `no C compiler: ${cc} is not on PATH (install gcc)`
      : `${cc} could not be run: ${r.error.message}`;
  }
  if (r.status !== 0) {
    rmSync(tmp, { force: true });
    return `${cc} failed: ${explain(r.stderr)}`;
  }
  // Load it in a child Node before putting it in place: a library that links but cannot load (a missing
  // libcrypto.so.3 at run time, a Node without these Node-API functions) is no addon.
  const check = spawnSync(
    process.execPath,
    [
      '-e',
      'const m={exports:{}};process.dlopen(m,process.argv[1]);console.log(m.exports.info().version)',
      tmp,
    ],
    { encoding: 'utf8' },
  );
  if (check.status !== 0) {
    rmSync(tmp, { force: true });
    const line = (check.stderr || check.error?.message || '').trim().split('\n').find(Boolean);
    return `the compiled addon does not load: ${line ?? `exit ${check.status}`}`;
  }
  renameSync(tmp, OUT);
  return { openssl: check.stdout.trim() };
}

function main() {
  mkdirSync(OUT_DIR, { recursive: true });
  if (upToDate()) {
    say(`${OUT} is up to date`);
    return true;
  }
  const headers = nodeApiHeaders();
  const result = headers
    ? compile(headers)
    : 'no Node-API headers: install the node-api-headers package (or a Node with its include directory)';
  if (typeof result === 'string') {
    // A stale addon built from older sources must not be loaded next to newer JavaScript.
    rmSync(OUT, { force: true });
    writeFileSync(ERROR_FILE, `${result}\n`);
    console.warn(`crypto-openssl: addon not built, node:crypto will be used: ${result}`);
    return false;
  }
  rmSync(ERROR_FILE, { force: true });
  say(`built ${OUT} (${result.openssl}; Node-API headers from ${headers.from})`);
  return true;
}

let ok = false;
try {
  ok = main();
} catch (e) {
  // Never fail an install over an optional addon, whatever went wrong.
  const reason = `addon build failed: ${e instanceof Error ? e.message : String(e)}`;
  try {
    writeFileSync(ERROR_FILE, `${reason}\n`);
  } catch {
    // the reason is printed below
  }
  console.warn(`crypto-openssl: ${reason}`);
}
if (!ok && args.has('--strict')) process.exit(1);
