// Content-Disposition for hostile names: nothing can split the header or leave the quotes.

import { expect } from 'chai';
import { contentDisposition } from '../../src/client/disposition.js';

const GRAMMAR =
  /^(attachment|inline); filename="([\x20\x21\x23-\x24\x26-\x5b\x5d-\x7e]*)"; filename\*=UTF-8''([A-Za-z0-9!#$&+\-.^_`|~%]+)$/;

describe('content disposition', () => {
  const names: [string, string][] = [
    ['report.pdf', 'report.pdf'],
    ['"quoted"; filename=evil.html', '"quoted"; filename=evil.html'],
    ['a\r\nSet-Cookie: x=1', 'a\r\nSet-Cookie: x=1'],
    ['nul\u0000byte', 'nul\u0000byte'],
    ['back\\slash', 'back\\slash'],
    ['100% sure', '100% sure'],
    ["it's (a) *test*", "it's (a) *test*"],
    ['日本語 ü.bin', '日本語 ü.bin'],
    ['🚀', '🚀'],
    ['\u202egnp.exe', '\u202egnp.exe'],
    ['lone \ud800 surrogate', 'lone \ufffd surrogate'],
    ['', 'download'],
  ];
  for (const [name, decoded] of names) {
    it(`encodes ${JSON.stringify(name)} safely`, () => {
      const value = contentDisposition(name);
      expect(value).to.match(/^[\x20-\x7e]+$/);
      const match = GRAMMAR.exec(value);
      expect(match, value).to.not.equal(null);
      expect(match?.[1]).to.equal('attachment');
      expect(decodeURIComponent(match?.[3] as string)).to.equal(decoded);
    });
  }

  it('can say inline', () => {
    expect(contentDisposition('a.txt', true)).to.match(/^inline; filename="a\.txt"; /);
  });
});
