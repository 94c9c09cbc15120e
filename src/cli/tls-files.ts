import { X509Certificate, createPrivateKey } from 'node:crypto';
import { UsageError } from './report.js';

/** A file given on the command line: which option named it, and what it holds. */
export interface OptionFile {
  /** `--tls-ca`, or the environment variable it came from. */
  readonly label: string;
  readonly path: string;
  readonly bytes: Buffer;
}

const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Checks the files of `--tls-ca`, `--tls-cert` and `--tls-key` before any
 * dial. A file that is not what its option says is a mistake on the command
 * line (exit 64, naming the option and the file), not a connection that
 * failed: OpenSSL would otherwise report it from deep inside the first dial.
 */
export function checkTlsFiles(ca: OptionFile | undefined, cert: OptionFile | undefined, key: OptionFile | undefined): void {
  if (ca) certificates(ca);
  if (cert && key) {
    const [leaf] = certificates(cert);
    let privateKey;
    try {
      privateKey = createPrivateKey(key.bytes);
    } catch (err) {
      throw unusable(key, 'a PEM private key (unencrypted)', err);
    }
    if (!leaf!.checkPrivateKey(privateKey)) throw new UsageError(`${key.label} ${key.path} is not the private key of the certificate in ${cert.label} ${cert.path}`);
  }
}

/** The PEM certificates of `file` (a CA file may hold a bundle); at least one. */
function certificates(file: OptionFile): X509Certificate[] {
  const blocks = file.bytes.toString('latin1').match(CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new UsageError(`${file.label}: ${file.path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return blocks.map((block) => {
    try {
      return new X509Certificate(block);
    } catch (err) {
      throw unusable(file, 'PEM certificates', err);
    }
  });
}

function unusable(file: OptionFile, expected: string, err: unknown): UsageError {
  return new UsageError(`${file.label}: ${file.path} does not hold ${expected}: ${(err as Error).message}`);
}
