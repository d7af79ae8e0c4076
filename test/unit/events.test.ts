// The master's recent events: a run of per-chunk events (a repair of a dead node's chunks) is one
// line, so the event that started it stays in view; the daemon log still gets every one.

import { expect } from 'chai';
import { EventLog } from '../../src/master/events.js';

describe("the master's recent events", () => {
  it('gathers a run of one kind of per-chunk event into one line, for a minute from its first', () => {
    const logged: string[] = [];
    const events = new EventLog((message) => logged.push(message));
    const t = 1_000_000;
    events.add('node-lost', 'node http://n2 lost: no heartbeat for 11s', t);
    for (let i = 0; i < 30; i++)
      events.add('chunk-repaired', `chunk c${i}… copied to http://n3`, t + i * 1000);
    expect(events.recent().map((e) => [e.kind, e.message])).to.deep.equal([
      ['chunk-repaired', 'chunk c29… copied to http://n3 (and 29 more like it)'],
      ['node-lost', 'node http://n2 lost: no heartbeat for 11s'],
    ]);
    expect(logged).to.have.length(31);
    // Past the minute, or after another event, a new line starts.
    events.add('chunk-repaired', 'chunk d0… copied to http://n3', t + 61_000);
    events.add('node-back', 'node http://n2 is back', t + 62_000);
    events.add('node-back', 'node http://n2 is back', t + 63_000);
    events.add('chunk-repaired', 'chunk d1… copied to http://n3', t + 64_000);
    expect(events.recent().map((e) => e.message)).to.deep.equal([
      'chunk d1… copied to http://n3',
      'node http://n2 is back',
      'node http://n2 is back',
      'chunk d0… copied to http://n3',
      'chunk c29… copied to http://n3 (and 29 more like it)',
      'node http://n2 lost: no heartbeat for 11s',
    ]);
  });
});
