/**
 * A throwaway PKI for the certificate tests, made with the openssl command line: a root CA, an
 * optional intermediate, and end entities with RSA, ECDSA (P-256, P-384) or Ed25519 keys and
 * subjectAltNames. Without openssl the suites skip, except under CI=true where they fail.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type KeyType = 'rsa' | 'rsa3072' | 'p256' | 'p384' | 'ed25519';

/** Why certificate tests cannot run here, or undefined when openssl is there. */
export function opensslMissing(): string | undefined {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'the openssl command is not installed';
  }
}

/** True when the suite should skip; throws under CI=true instead, so CI never skips silently. */
export function skipWithoutOpenssl(): boolean {
  const why = opensslMissing();
  if (why && process.env.CI === 'true') throw new Error(`certificate tests need openssl: ${why}`);
  return why !== undefined;
}

function keyArgs(t: KeyType): string[] {
  switch (t) {
    case 'rsa':
      return ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'];
    case 'rsa3072':
      return ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072'];
    case 'p256':
      return ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'];
    case 'p384':
      return ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'];
    case 'ed25519':
      return ['-algorithm', 'ED25519'];
  }
}

export interface Issued {
  readonly certPem: string;
  readonly keyPem: string;
  /** The certificate as DER, and the key as PKCS#8 DER. */
  readonly certDer: Uint8Array;
  readonly keyDer: Uint8Array;
  readonly subject: string;
}

export interface EntitySpec {
  /** OpenSSL subject, `/O=mip6sec/CN=gw`. */
  readonly subject: string;
  readonly key: KeyType;
  /** subjectAltName entries in OpenSSL syntax: `DNS:gw.example.org`, `email:a@b`, `IP:2001:db8::1`. */
  readonly san?: readonly string[];
  /** Make a CA (for intermediates). */
  readonly ca?: boolean;
  readonly days?: number;
}

export class TestPki {
  readonly dir: string;
  private serial = 1;

  private constructor(dir: string) {
    this.dir = dir;
  }

  static async create(): Promise<TestPki> {
    return new TestPki(await mkdtemp(join(tmpdir(), 'mip6sec-pki-')));
  }

  private async key(name: string, t: KeyType): Promise<string> {
    const path = join(this.dir, `${name}.key`);
    await run('openssl', ['genpkey', ...keyArgs(t), '-out', path]);
    return path;
  }

  private async load(name: string, subject: string): Promise<Issued> {
    const certPath = join(this.dir, `${name}.pem`);
    const keyPath = join(this.dir, `${name}.key`);
    const der = join(this.dir, `${name}.der`);
    const keyDer = join(this.dir, `${name}.key.der`);
    await run('openssl', ['x509', '-in', certPath, '-outform', 'DER', '-out', der]);
    await run('openssl', ['pkey', '-in', keyPath, '-outform', 'DER', '-out', keyDer]);
    return {
      certPem: await readFile(certPath, 'utf8'),
      keyPem: await readFile(keyPath, 'utf8'),
      certDer: new Uint8Array(await readFile(der)),
      keyDer: new Uint8Array(await readFile(keyDer)),
      subject,
    };
  }

  /** A self-signed root CA. */
  async root(name: string, key: KeyType, subject = `/O=mip6sec/CN=${name}`): Promise<Issued> {
    const k = await this.key(name, key);
    await run('openssl', [
      'req',
      '-new',
      '-x509',
      '-key',
      k,
      '-subj',
      subject,
      '-days',
      '2',
      ...(key === 'ed25519' ? [] : ['-sha256']),
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-out',
      join(this.dir, `${name}.pem`),
    ]);
    return this.load(name, subject);
  }

  /** A certificate for `name` signed by `issuer` (a root or an intermediate made here). */
  async issue(name: string, issuer: string, spec: EntitySpec): Promise<Issued> {
    const k = await this.key(name, spec.key);
    const csr = join(this.dir, `${name}.csr`);
    const ext = join(this.dir, `${name}.ext`);
    await run('openssl', ['req', '-new', '-key', k, '-subj', spec.subject, '-out', csr]);
    const lines = spec.ca
      ? ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign']
      : ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature'];
    if (spec.san?.length) lines.push(`subjectAltName=${spec.san.join(',')}`);
    lines.push('subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid', '');
    await writeFile(ext, lines.join('\n'));
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      join(this.dir, `${issuer}.pem`),
      '-CAkey',
      join(this.dir, `${issuer}.key`),
      '-set_serial',
      String(this.serial++),
      '-days',
      String(spec.days ?? 2),
      '-sha256',
      '-extfile',
      ext,
      '-out',
      join(this.dir, `${name}.pem`),
    ]);
    return this.load(name, spec.subject);
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
