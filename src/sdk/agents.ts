// Keep-alive HTTP agents shared by every outgoing request of a process (connection reuse).

import http from 'node:http';
import https from 'node:https';

const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 16 });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 16 });

/** The agent for a URL's protocol. */
export function agentFor(url: URL | string): http.Agent {
  return String(url).startsWith('https:') ? httpsAgent : httpAgent;
}
