// Signatures made with the cluster secret: write tokens, node authentication and store receipts.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { DfsError } from './errors.js';

/** How far apart two machines' clocks may be before a signed time is refused, in ms. */
export const CLOCK_SKEW_MS = 30_000;

/** What a write token allows. */
export type TokenOp = 'put' | 'copy' | 'delete';

/** A fresh random cluster secret (what `dfs up` writes into its data folder). */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

function sign(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text).digest('base64url');
}

function sameSignature(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A write token: lets its holder `op` the chunk `chunkId` on any node until `expires` (ms). */
export function signWriteToken(secret: string, op: TokenOp, chunkId: string, expires: number): string {
  return `${op}.${chunkId}.${expires}.${sign(secret, `write|${op}|${chunkId}|${expires}`)}`;
}

/**
 * Throws 401/403 unless `token` is a valid, unexpired token for one of `ops` on `chunkId`;
 * returns the token's op.
 */
export function verifyWriteToken(
  secret: string,
  token: string | undefined,
  ops: readonly TokenOp[],
  chunkId: string,
  now = Date.now(),
): TokenOp {
  if (!token) throw new DfsError('unauthorized', 'a write token is required');
  // The exact shape the master signs; anything else is refused before any HMAC is computed.
  const match = /^(put|copy|delete)\.([0-9a-f]{64})\.(\d{1,16})\.([\w-]{43})$/.exec(token);
  if (!match) throw new DfsError('forbidden', 'malformed write token');
  const [, tOp, tChunk, tExpires, signature] = match as unknown as [string, string, string, string, string];
  if (!sameSignature(signature, sign(secret, `write|${tOp}|${tChunk}|${tExpires}`))) {
    throw new DfsError('forbidden', 'write token signature is invalid');
  }
  if (!ops.includes(tOp as TokenOp) || tChunk !== chunkId) {
    throw new DfsError('forbidden', 'write token is for another chunk or operation');
  }
  if (Number(tExpires) + CLOCK_SKEW_MS < now) throw new DfsError('forbidden', 'write token has expired');
  return tOp as TokenOp;
}

/** The Authorization header value a node sends to the master: proves it knows the secret. */
export function signNodeAuth(secret: string, nodeId: string, now = Date.now()): string {
  return `DFS-Node ${nodeId}.${now}.${sign(secret, `node|${nodeId}|${now}`)}`;
}

/** Checks a node's Authorization header; returns the node id it proves. */
export function verifyNodeAuth(secret: string, header: string | undefined, now = Date.now()): string {
  const match = /^DFS-Node ([\w-]{1,64})\.(\d{1,16})\.([\w-]{43})$/.exec(header ?? '');
  if (!match) throw new DfsError('unauthorized', 'node authentication is required');
  const [, nodeId, ts, signature] = match as unknown as [string, string, string, string];
  if (!sameSignature(signature, sign(secret, `node|${nodeId}|${ts}`))) {
    throw new DfsError('forbidden', 'node authentication is invalid');
  }
  // A captured header is only good for the skew window on either side of its time.
  if (Math.abs(now - Number(ts)) > CLOCK_SKEW_MS) {
    throw new DfsError('forbidden', 'node clock is too far off');
  }
  return nodeId;
}

/** A receipt a node gives for a chunk it has made durable; the master checks it at commit. */
export function signReceipt(secret: string, nodeId: string, chunkId: string): string {
  return sign(secret, `stored|${nodeId}|${chunkId}`);
}

/** True when `signature` is `nodeId`'s receipt for `chunkId`. */
export function verifyReceipt(secret: string, nodeId: string, chunkId: string, signature: string): boolean {
  return sameSignature(signature, signReceipt(secret, nodeId, chunkId));
}
