// Keep-alive HTTP agents shared by every outgoing request of a process (connection reuse).

import http from 'node:http';
import https from 'node:https';

// Idle sockets are closed after 5 s, well before the servers' 30 s keep-alive timeout: a socket the
// server is about to close is never picked for a new request.
const options = { keepAlive: true, maxSockets: 64, maxFreeSockets: 16, timeout: 5_000 };
const httpAgent = new http.Agent(options);
const httpsAgent = new https.Agent(options);

/** The agent for a URL's protocol. */
export function agentFor(url: URL | string): http.Agent {
  return String(url).startsWith('https:') ? httpsAgent : httpAgent;
}
