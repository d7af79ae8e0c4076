// Assertions shared by table-driven unit tests.

import { expect } from 'chai';
import { DfsError } from '../../src/protocol/errors.js';
import { S3Error } from '../../src/s3/errors.js';

/** The code of the error (a `type`, DfsError by default) `fn` throws, or undefined when it does not throw. */
export function codeOf(
  fn: () => unknown,
  type: new (...args: never[]) => { code: string } = DfsError,
): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err).to.be.instanceOf(type);
    return (err as { code: string }).code;
  }
}

/** The S3 error code `fn` throws, or undefined when it does not throw. */
export const s3CodeOf = (fn: () => unknown): string | undefined => codeOf(fn, S3Error);
