// Assertions shared by table-driven unit tests.

import { expect } from 'chai';
import { DfsError } from '../../src/protocol/errors.js';

/** The DfsError code `fn` throws, or undefined when it does not throw. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err).to.be.instanceOf(DfsError);
    return (err as DfsError).code;
  }
}
