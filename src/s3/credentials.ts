// The gateway's S3 key pairs: from flags or the environment, or a file of several; and new ones for `dfs up`.

import { randomInt } from 'node:crypto';
import fs from 'node:fs/promises';
import type { S3Config } from '../config.js';
import { DfsError } from '../protocol/errors.js';

// Access keys as AWS shapes them (upper-case letters and digits) and anything printable clients take.
const ACCESS_KEY = /^[\w.+=@-]{3,128}$/;
// Secrets: printable ASCII without spaces, as in any credentials file.
const SECRET_KEY = /^[!-~]{8,256}$/;

function checkPair(accessKey: string, secretKey: string, where: string): void {
  if (!ACCESS_KEY.test(accessKey))
    throw new DfsError('bad_request', `${where}: an access key is 3 to 128 of A-Z a-z 0-9 _ . + = @ -`);
  if (!SECRET_KEY.test(secretKey))
    throw new DfsError('bad_request', `${where}: a secret key is 8 to 256 printable characters, no spaces`);
}

/**
 * Parses a credentials file: one `ACCESS_KEY SECRET_KEY` pair a line (spaces or tabs between),
 * blank lines and `#` comments ignored. A repeated access key or a malformed line is refused.
 */
export function parseCredentialsFile(text: string, file = 'credentials file'): Map<string, string> {
  const keys = new Map<string, string>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${file} line ${i + 1}`;
    const parts = line.split(/\s+/);
    if (parts.length !== 2)
      throw new DfsError(
        'bad_request',
        `${where}: expected "ACCESS_KEY SECRET_KEY", got ${parts.length} words`,
      );
    const [accessKey, secretKey] = parts as [string, string];
    checkPair(accessKey, secretKey, where);
    if (keys.has(accessKey))
      throw new DfsError('bad_request', `${where}: access key ${accessKey} is repeated`);
    keys.set(accessKey, secretKey);
  });
  return keys;
}

/** Every key pair the configuration names: the single pair and those of the credentials file. */
export async function loadCredentials(config: Pick<S3Config, 'accessKey' | 'secretKey' | 'credentials'>) {
  const keys = new Map<string, string>();
  if (config.credentials) {
    let text: string;
    try {
      text = await fs.readFile(config.credentials, 'utf8');
    } catch (err) {
      throw new DfsError('bad_request', `cannot read ${config.credentials}: ${(err as Error).message}`);
    }
    for (const [k, v] of parseCredentialsFile(text, config.credentials)) keys.set(k, v);
  }
  if (config.accessKey) {
    checkPair(config.accessKey, config.secretKey, 'the S3 key pair');
    keys.set(config.accessKey, config.secretKey);
  }
  if (keys.size === 0) throw new DfsError('bad_request', `${config.credentials} holds no key pair`);
  return keys;
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const MIXED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomText(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/**
 * A new key pair shaped like AWS's (20-character access key, 40-character secret), from letters
 * and digits only so that it pastes into any shell, URL or rclone connection string unquoted.
 */
export function generateKeyPair(): { accessKey: string; secretKey: string } {
  return { accessKey: `DFS${randomText(UPPER, 17)}`, secretKey: randomText(MIXED, 40) };
}
