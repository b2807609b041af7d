/**
 * PF_KEY messages built in C with the real <linux/pfkeyv2.h> and <linux/ipsec.h> structs: pfkey-codec's
 * test-c/messages.c, compiled with gcc into a temporary directory and run; it prints `NAME<TAB>hex` lines.
 * When gcc or the kernel headers are missing the reason is kept: tests fail with it under CI (CI=true)
 * and skip with it elsewhere.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './cli.test-util.js';

export const MESSAGES_C = join(ROOT, 'packages/pfkey-codec/test-c/messages.c');

export type CMessages = { ok: true; hex: ReadonlyMap<string, string> } | { ok: false; reason: string };

export function compileMessages(): CMessages {
  const dir = mkdtempSync(join(tmpdir(), 'mip6sec-cli-c-'));
  try {
    const exe = join(dir, 'messages');
    const cc = spawnSync('gcc', ['-std=gnu11', '-Wall', '-Wextra', '-Werror', '-o', exe, MESSAGES_C], {
      encoding: 'utf8',
    });
    if (cc.error) return { ok: false, reason: `gcc could not be run (${cc.error.message}); install gcc` };
    if (cc.status !== 0) {
      const missing = /fatal error: ([^\s:]+): No such file/.exec(cc.stderr);
      const reason = missing ? `${missing[1]} is missing; install linux-libc-dev` : cc.stderr.trim();
      return { ok: false, reason: `gcc failed on messages.c: ${reason}` };
    }
    const run = spawnSync(exe, [], { encoding: 'utf8' });
    if (run.status !== 0) return { ok: false, reason: `messages.c exited with ${run.status}: ${run.stderr}` };
    const hex = new Map<string, string>();
    for (const line of run.stdout.trim().split('\n')) {
      const [name, bytes] = line.split('\t');
      if (name && bytes) hex.set(name, bytes);
    }
    return { ok: true, hex };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function inCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false';
}

/** The hex of one message; under CI a missing compiler fails the test, elsewhere it skips with the reason. */
export function cMessage(c: CMessages, name: string, skip: (note: string) => never): string {
  if (!c.ok) {
    if (inCi()) throw new Error(`C messages unavailable under CI: ${c.reason}`);
    return skip(c.reason);
  }
  const hex = c.hex.get(name);
  if (hex === undefined) throw new Error(`messages.c printed no ${name}`);
  return hex;
}
