/**
 * Certificates for tests, made by `openssl` (the tests need it): a self-signed
 * certificate and key (P-256, one day), for an https server or as a CA; the
 * certificate file is what NODE_EXTRA_CA_CERTS or REDIS_CA_FILE names.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requirePrograms } from './prerequisites.js';

export interface TestCertificate {
  readonly key: string;
  readonly cert: string;
  /** The certificate's PEM file. */
  readonly certFile: string;
}

/** A self-signed certificate for `subject` in `dir` (`<name>.pem`, `<name>.key`), with the extensions given. */
export function selfSignedFiles(
  dir: string,
  name: string,
  subject: string,
  extensions: readonly string[] = [],
): { certFile: string; keyFile: string } {
  requirePrograms('openssl');
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', subject];
  for (const e of extensions) args.push('-addext', e);
  execFileSync('openssl', [...args, '-days', '1', '-keyout', keyFile, '-out', certFile], {
    stdio: 'ignore',
    timeout: 10_000,
  });
  return { certFile, keyFile };
}

/** A self-signed certificate for 127.0.0.1, for an https server in a test. */
export function selfSignedCertificate(): TestCertificate {
  const { certFile, keyFile } = selfSignedFiles(mkdtempSync(join(tmpdir(), 'tls-')), 'cert', '/CN=127.0.0.1', [
    'subjectAltName=IP:127.0.0.1',
  ]);
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile };
}
