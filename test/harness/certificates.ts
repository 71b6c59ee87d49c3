/**
 * Test certificates for the private servers (slapd, Samba): a fresh CA and one server certificate,
 * ECDSA because it is fast to make, valid for two days. Made with the `openssl` command.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runChecked } from './process.js';

export interface TestCertificates {
  readonly caCertPem: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

export async function makeTestCertificates(
  dir: string,
  options: { caName: string; commonName: string; ip: string; dnsName: string },
): Promise<TestCertificates> {
  const file = (name: string): string => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await runChecked('openssl', [
    'req', '-x509', ...ec, '-days', '2', '-subj', `/CN=${options.caName}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout', file('ca.key'), '-out', file('ca.pem'),
  ]);
  await runChecked('openssl', ['req', ...ec, '-subj', `/CN=${options.commonName}`, '-keyout', file('server.key'), '-out', file('server.csr')]);
  await writeFile(
    file('server.ext'),
    `subjectAltName=IP:${options.ip},DNS:${options.dnsName}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`,
  );
  await runChecked('openssl', [
    'x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial',
    '-days', '2', '-extfile', file('server.ext'), '-out', file('server.pem'),
  ]);
  return { caCertPem: await readFile(file('ca.pem'), 'utf8'), caFile: file('ca.pem'), certFile: file('server.pem'), keyFile: file('server.key') };
}
