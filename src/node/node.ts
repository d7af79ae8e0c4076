// A storage node daemon: its chunk store, its routes, and the loop that registers with the
// master, heartbeats, and carries out the work the master hands back.

import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { NodeConfig } from '../config.js';
import type { Logger } from '../http/errors.js';
import { type Listening, serve } from '../http/serve.js';
import { signNodeAuth } from '../protocol/auth.js';
import type { HeartbeatRequest, HeartbeatResponse, NodeCommand, RegisterRequest } from '../protocol/types.js';
import { createHttp, toClientError } from '../sdk/http.js';
import { ChunkStore } from '../storage/chunk-store.js';
import { createNodeApp } from './app.js';
import { openForward } from './forward.js';
import { Scrubber } from './scrubber.js';
import { NodeState } from './state.js';

/** A running storage node. */
export interface RunningNode {
  url: string;
  id: string;
  state: NodeState;
  store: ChunkStore;
  close(): Promise<void>;
}

/** Reads this node's id from its data folder, creating one on first start. */
async function nodeId(data: string): Promise<string> {
  const file = path.join(data, 'node-id');
  try {
    const id = (await fs.readFile(file, 'utf8')).trim();
    if (/^[\w-]{1,64}$/.test(id)) return id;
  } catch {
    // first start
  }
  const id = randomUUID();
  await fs.writeFile(`${file}.tmp`, `${id}\n`);
  await fs.rename(`${file}.tmp`, file);
  return id;
}

/** Starts a node: opens the store, listens, and begins registering with the master. */
export async function startNode(
  config: Readonly<NodeConfig>,
  log: Logger = console.error,
): Promise<RunningNode> {
  await fs.mkdir(config.data, { recursive: true });
  const store = await ChunkStore.open(config.data);
  const state = new NodeState(await nodeId(config.data), config.master, store);
  const app = createNodeApp({ config, store, state, log });
  const listening: Listening = await serve(app, config.host, config.port);
  state.url = config.advertise || listening.url;
  const agent = new MasterLink(config, state, log);
  const scrubber = new Scrubber(store, state, config, log, (ids) => agent.reportCorrupt(ids));
  agent.start();
  scrubber.start();
  let closing: Promise<void> | undefined;
  return {
    url: state.url,
    id: state.id,
    state,
    store,
    close() {
      closing ??= (async () => {
        agent.stop();
        scrubber.stop();
        await listening.close();
      })();
      return closing;
    },
  };
}

/** The node's side of the node ↔ master conversation. */
class MasterLink {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastError = '';
  private readonly http = createHttp({}, 60_000);
  private readonly busy = new Set<string>();

  constructor(
    private readonly config: Readonly<NodeConfig>,
    private readonly state: NodeState,
    private readonly log: Logger,
  ) {}

  start(): void {
    void this.tick();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private headers() {
    return { authorization: signNodeAuth(this.config.secret, this.state.id) };
  }

  private async call<T>(route: string, json: unknown): Promise<T> {
    try {
      return await this.http
        .post(`${this.config.master}${route}`, { json, headers: this.headers() })
        .json<T>();
    } catch (err) {
      throw toClientError(err, `master ${this.config.master}`);
    }
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      const usage = await this.state.store.usage();
      let answer: HeartbeatResponse;
      if (!this.state.registered) {
        const body: RegisterRequest = {
          id: this.state.id,
          url: this.state.url,
          ...usage,
          chunks: this.state.store.ids(),
        };
        answer = await this.call<HeartbeatResponse>('/internal/register', body);
        this.log(`node ${this.state.id} registered with ${this.config.master} as ${this.state.url}`);
      } else {
        const { chunks, ...rest } = usage;
        const scrub = this.state.scrub;
        const body: HeartbeatRequest = {
          id: this.state.id,
          ...rest,
          chunks,
          scrub: scrub && { finished: scrub.finished, checked: scrub.checked, corrupt: scrub.corrupt },
        };
        answer = await this.call<HeartbeatResponse>('/internal/heartbeat', body);
      }
      this.state.registered = answer.known;
      this.state.chunkSize = answer.chunkSize;
      this.state.lastContact = Date.now();
      this.lastError = '';
      for (const command of answer.commands) void this.run(command);
    } catch (err) {
      const message = (err as Error).message;
      if (message !== this.lastError) this.log(`node ${this.state.id}: ${message}; retrying`);
      this.lastError = message;
      if (
        (err as { code?: string }).code === 'unauthorized' ||
        (err as { code?: string }).code === 'forbidden'
      ) {
        this.state.registered = false;
      }
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), this.config.heartbeatInterval);
  }

  /** Reports chunks whose bytes no longer match their name; the master schedules repair. */
  async reportCorrupt(ids: string[]): Promise<void> {
    await this.call('/internal/corrupt', { id: this.state.id, chunks: ids });
  }

  private async run(command: NodeCommand): Promise<void> {
    const key = `${command.op}:${command.chunkId}`;
    if (this.busy.has(key)) return;
    this.busy.add(key);
    try {
      if (command.op === 'delete') {
        await this.state.store.delete(command.chunkId);
      } else if (command.op === 'verify') {
        if (this.state.store.has(command.chunkId) && !(await this.state.store.verify(command.chunkId))) {
          await this.state.store.quarantine(command.chunkId);
          this.log(
            `node ${this.state.id}: chunk ${command.chunkId} is corrupt (reported by a reader); quarantined`,
          );
          await this.reportCorrupt([command.chunkId]);
        }
      } else {
        const { size, stream } = await this.state.store.read(command.chunkId);
        const forward = openForward(
          command.targets.map((t) => t.url),
          command.chunkId,
          command.token,
          size,
        );
        try {
          for await (const piece of stream as AsyncIterable<Buffer>) await forward.write(piece);
        } catch (err) {
          forward.destroy();
          stream.destroy();
          throw err;
        }
        const receipts = await forward.finish();
        await this.call('/internal/replicated', { id: this.state.id, chunkId: command.chunkId, receipts });
      }
    } catch (err) {
      this.log(`node ${this.state.id}: ${command.op} ${command.chunkId} failed: ${(err as Error).message}`);
      if (command.op === 'replicate') {
        await this.call('/internal/replicated', {
          id: this.state.id,
          chunkId: command.chunkId,
          receipts: [],
          error: (err as Error).message,
        }).catch(() => {});
      }
    } finally {
      this.busy.delete(key);
    }
  }
}
