// The daemons' log: today's readable text (`TIME message`), or one JSON object a line for log
// shippers (`{"time","level","daemon","message",…fields}`).

import type { LogFormat } from '../config.js';
import type { LogFields, Logger } from './errors.js';

/** Where a logger writes and how. */
export interface LoggerOptions {
  /** The daemon's name in every JSON line: master, node, client, s3. */
  daemon: string;
  format: LogFormat;
  /** Fields added to every JSON line (a node's id). */
  fields?: LogFields;
  /** Writes one finished line; default standard error. */
  write?: (line: string) => void;
  /** The clock, for tests. */
  now?: () => Date;
}

const stderr = (line: string) => {
  process.stderr.write(line);
};

/** A logger that writes text (the fields are dropped: the message says it all) or JSON lines. */
export function createLogger(options: LoggerOptions): Logger {
  const write = options.write ?? stderr;
  const now = options.now ?? (() => new Date());
  if (options.format === 'text') return (message) => write(`${now().toISOString()} ${message}\n`);
  const base = options.fields ?? {};
  return (message, fields) => {
    // Fixed keys first, in a fixed order: shippers and people read the same line.
    const line = {
      time: now().toISOString(),
      level: fields?.level ?? 'info',
      daemon: options.daemon,
      message,
      ...base,
      ...fields,
    };
    line.level = fields?.level ?? 'info';
    write(`${JSON.stringify(line)}\n`);
  };
}

/** A logger that adds `fields` to every line of `log` (a line's own fields win). */
export function withFields(log: Logger, fields: LogFields): Logger {
  return (message, more) => log(message, more ? { ...fields, ...more } : fields);
}
