// Released migrations of the PostgreSQL metadata store never change: a database already past one
// never runs it again, so an edit would reach new databases only and split the two. A change to
// the schema or a function is a new migration, appended here with its hash.

import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { MIGRATIONS } from '../../src/meta/postgres-schema.js';

const RELEASED: Record<number, string> = {
  1: '70c1d44cd1d62f844a67fe05af111a67e25686c2fad64254f3caa9d31bf73b32',
  2: 'f90eab0f07f275f0cd23e4102cabcad994a59176972352bba7e881279eac39c8',
  3: 'e7415fbbd2df8b260de7be7d277817d2390fb830e47693de0b8d1ee91fdc1216',
  4: 'd821bd23131fed8a06d480dbeecd6a826264bb413b93ee6cc25f5d0f5ece6d33',
  5: '87908dc53b33f67530977c4c8ff898487daac5ea74d7526188198817aa989a13',
  6: '2819664f4dd5b5d3a336ba6e0b00f83461f112b1c6b993c8ff1447b783b14a01',
  7: '165b5c7be6c579b23aed845bba18260c776f8a047ac7f8b4c8b1ab399f65cbf6',
  8: 'b19388b4ac507f5eff367ee864f1a90a4166a6d4fa335bea92e1bdfe5aa0546e',
  9: '53fe8d226e3a0bca0f6b50a6375b17ac793feb88c7fea0e2c03ff6f262e6c1f3',
};

describe('PostgreSQL migrations', () => {
  it('are numbered 1, 2, 3… and every released one is unchanged', () => {
    expect(MIGRATIONS.map((m) => m.version)).to.deep.equal(MIGRATIONS.map((_, i) => i + 1));
    for (const m of MIGRATIONS) {
      const hash = createHash('sha256').update(m.sql).digest('hex');
      expect(hash, `migration ${m.version} (${m.description})`).to.equal(RELEASED[m.version]);
    }
  });
});
