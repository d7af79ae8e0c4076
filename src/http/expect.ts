// `Expect:` handling for the S3 gateway's and the web client's HTTP servers: 100-continue on
// first read, odd values ignored.

import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/**
 * Installs `checkContinue` and `checkExpectation` handlers on `server` so requests proceed as
 * usual. `Expect: 100-continue` gets its `100 Continue` only when something first reads the body:
 * a request refused on its headers (bad signature, no such bucket) is answered before the client
 * sends a byte of its upload. Other Expect values, which some clients send and Node would answer
 * with 417 by itself, are ignored.
 */
export function handleExpect(server: Server): void {
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    continueOnFirstRead(req, res);
    server.emit('request', req, res);
  });
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    server.emit('request', req, res);
  });
}

function continueOnFirstRead(req: IncomingMessage, res: ServerResponse): void {
  const read = req._read;
  req._read = function readAfterContinue(this: IncomingMessage, size: number): void {
    req._read = read;
    // Once an answer has started, a 100 would land inside it; the body is then only drained.
    if (!res.headersSent && !res.writableEnded) res.writeContinue();
    read.call(this, size);
  };
}
