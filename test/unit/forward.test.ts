// The replication pipeline's forward list: only a few distinct plain origins pass.

import { expect } from 'chai';
import { parseForwardHeader } from '../../src/node/forward.js';
import { DfsError } from '../../src/protocol/errors.js';

describe('forward header', () => {
  const good: [string, string[]][] = [
    ['', []],
    ['http://10.0.0.2:5002', ['http://10.0.0.2:5002']],
    ['http://a:1, https://b:2/', ['http://a:1', 'https://b:2']],
    [
      Array.from({ length: 15 }, (_, i) => `http://n${i}:1`).join(','),
      Array.from({ length: 15 }, (_, i) => `http://n${i}:1`),
    ],
  ];
  for (const [header, expected] of good) {
    it(`accepts ${JSON.stringify(header).slice(0, 40)}`, () => {
      expect(parseForwardHeader(header)).to.deep.equal(expected);
    });
  }

  const bad = [
    'file:///etc/passwd',
    'gopher://127.0.0.1:6379/_x',
    'javascript:alert(1)',
    'ftp://a/',
    'http://user:pw@a:1',
    'http://a:1/path',
    'http://a:1/?q',
    'http://a:1/#f',
    'http://a:1,http://a:1',
    'not a url',
    Array.from({ length: 16 }, (_, i) => `http://n${i}:1`).join(','),
  ];
  for (const header of bad) {
    it(`refuses ${header.slice(0, 40)}`, () => {
      expect(() => parseForwardHeader(header))
        .to.throw(DfsError)
        .with.property('code', 'bad_request');
    });
  }
});
