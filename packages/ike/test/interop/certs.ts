/**
 * A throwaway PKI for certificate authentication tests: one CA and end-entity certificates with RSA
 * or ECDSA keys, made with the openssl command line into a test directory.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './exec.js';

export type KeyType = 'rsa' | 'ecdsa';

export interface CertFiles {
  readonly certPath: string;
  readonly keyPath: string;
  /** PEM text of the certificate and of the PKCS#8 private key. */
  readonly certPem: string;
  readonly keyPem: string;
  /** The certificate in DER, as it travels in a CERT payload. */
  readonly certDer: Uint8Array;
  readonly keyType: KeyType;
}

export interface EntityFiles extends CertFiles {
  /** The FQDN in the certificate's subjectAltName, used as the IKE identity. */
  readonly id: string;
  readonly subject: string;
}

export interface EntitySpec {
  readonly name: string;
  readonly keyType: KeyType;
  /** FQDN put in subjectAltName (dNSName) and the CN. */
  readonly id: string;
}

export interface TestPki {
  readonly dir: string;
  readonly ca: CertFiles & { readonly subject: string };
  readonly entities: Readonly<Record<string, EntityFiles>>;
}

function keyArgs(type: KeyType): string[] {
  return type === 'rsa'
    ? ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']
    : ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'];
}

function pemToDer(pem: string): Uint8Array {
  const body = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(body, 'base64'));
}

async function load(certPath: string, keyPath: string, keyType: KeyType): Promise<CertFiles> {
  const certPem = await readFile(certPath, 'utf8');
  const keyPem = await readFile(keyPath, 'utf8');
  return { certPath, keyPath, certPem, keyPem, certDer: pemToDer(certPem), keyType };
}

/** Creates the CA (ECDSA unless told) and every entity, valid for two days, in `dir`. */
export async function createTestPki(
  dir: string,
  entities: readonly EntitySpec[],
  options: { caKeyType?: KeyType } = {},
): Promise<TestPki> {
  const caType = options.caKeyType ?? 'ecdsa';
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.pem');
  const caSubject = '/O=mip6sec/CN=mip6sec interop test CA';
  await run(['openssl', 'genpkey', ...keyArgs(caType), '-out', caKey]);
  await run([
    'openssl',
    'req',
    '-new',
    '-x509',
    '-key',
    caKey,
    '-subj',
    caSubject,
    '-days',
    '2',
    '-sha256',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-out',
    caCert,
  ]);
  const made: Record<string, EntityFiles> = {};
  for (const [index, e] of entities.entries()) {
    const key = join(dir, `${e.name}.key`);
    const csr = join(dir, `${e.name}.csr`);
    const cert = join(dir, `${e.name}.pem`);
    const ext = join(dir, `${e.name}.ext`);
    const subject = `/O=mip6sec/CN=${e.id}`;
    await run(['openssl', 'genpkey', ...keyArgs(e.keyType), '-out', key]);
    await run(['openssl', 'req', '-new', '-key', key, '-subj', subject, '-out', csr]);
    await writeFile(
      ext,
      [
        `subjectAltName=DNS:${e.id}`,
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature',
        'subjectKeyIdentifier=hash',
        'authorityKeyIdentifier=keyid',
        '',
      ].join('\n'),
    );
    await run([
      'openssl',
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      caCert,
      '-CAkey',
      caKey,
      '-set_serial',
      String(index + 1),
      '-days',
      '2',
      '-sha256',
      '-extfile',
      ext,
      '-out',
      cert,
    ]);
    made[e.name] = { ...(await load(cert, key, e.keyType)), id: e.id, subject };
  }
  return { dir, ca: { ...(await load(caCert, caKey, caType)), subject: caSubject }, entities: made };
}
