// Isolated node PUT cost: one node in-process, 16 concurrent 4 KiB PUTs, no forwarding.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import { nodeConfig } from '/work/main/src/config.js';
import { startNode } from '/work/main/src/node/node.js';
import { signWriteToken } from '/work/main/src/protocol/auth.js';

const dir = await fs.mkdtemp('/work/tmpbench/node-');
const node = await startNode(
  nodeConfig({ port: 0, data: dir, master: 'http://127.0.0.1:9', secret: 's', heartbeatInterval: 3600 }, {}),
  () => {},
);
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
const n = Number(process.argv[2] ?? 3000);
let i = 0;
const c0 = process.cpuUsage();
const t0 = Date.now();
await Promise.all(
  Array.from({ length: 16 }, async () => {
    while (i < n) {
      i++;
      const body = randomBytes(4096);
      const id = createHash('sha256').update(body).digest('hex');
      await new Promise<void>((resolve, reject) => {
        const req = http.request(
          `${node.url}/chunks/${id}`,
          {
            method: 'PUT',
            agent,
            headers: {
              'x-dfs-token': signWriteToken('s', 'put', id, Date.now() + 60000),
              'content-length': body.length,
            },
          },
          (res) => {
            res.resume();
            res.on('end', () =>
              res.statusCode === 201 ? resolve() : reject(new Error(String(res.statusCode))),
            );
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    }
  }),
);
const c = process.cpuUsage(c0);
const ms = Date.now() - t0;
console.log(
  `${(n / (ms / 1000)).toFixed(0)}/s, process cpu ${((c.user + c.system) / 1000 / n).toFixed(3)} ms/op (user ${(c.user / 1000 / n).toFixed(3)}, sys ${(c.system / 1000 / n).toFixed(3)}) — includes the load generator`,
);
await node.close();
await fs.rm(dir, { recursive: true, force: true });
