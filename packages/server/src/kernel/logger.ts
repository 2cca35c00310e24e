import fs from 'node:fs';
import path from 'node:path';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { currentRequest } from './request-context.js';

export type { Logger } from 'pino';

/**
 * Field names whose values never reach a log line, wherever they appear in the first
 * two levels of a logged object. The code does not log such values in the first
 * place; this is the second line of defence.
 */
const REDACT_KEYS = [
  'password',
  'newPassword',
  'oldPassword',
  'code',
  'token',
  'accessToken',
  'refreshToken',
  'authorization',
  'cookie',
  'text',
  'body',
];
// `code` is redacted only at the top level: one level down it is usually an error's
// code (err.code = 'ECONNREFUSED'), which operators need to see. A status code therefore
// never goes in a top-level `code` field: rpc lines call it `status`.
const REDACT_PATHS = [
  ...REDACT_KEYS,
  ...REDACT_KEYS.filter((k) => k !== 'code').map((k) => `*.${k}`),
  'req.headers.authorization',
];

export interface LogConfig {
  level: string;
  /** When set, each service module also writes to `<dir>/<module>.log`. */
  dir?: string | undefined;
  /** Human-readable output; `auto` means only when stdout is a terminal. */
  pretty: 'auto' | 'true' | 'false';
}

export interface Loggers {
  root: Logger;
  /** The logger of one module: a child with `module`, and its own file when configured. */
  forModule(name: string, opts?: { ownFile?: boolean }): Logger;
  /** Writes out buffered file lines, in order. */
  flush(): Promise<void>;
}

function baseOptions(level: string): LoggerOptions {
  return {
    level,
    base: { service: 'mychat', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
    // Every line written while serving an internal call names its request (set by the RPC
    // hub), so one message's lines in the gateway and in each service join on request_id.
    mixin: () => {
      const r = currentRequest();
      return r ? { request_id: r.requestId } : {};
    },
  };
}

/**
 * Builds the process's loggers. `destination` replaces stdout (tests capture logs this way).
 */
export function createLoggers(config: LogConfig, destination?: DestinationStream): Loggers {
  const pretty =
    config.pretty === 'true' || (config.pretty === 'auto' && !destination && process.stdout.isTTY);
  const out: DestinationStream =
    destination ??
    (pretty
      ? (pino.transport({ target: 'pino-pretty', options: { colorize: true } }) as DestinationStream)
      : pino.destination({ dest: 1, sync: false }));
  const root = pino(baseOptions(config.level), out);
  const files: ReturnType<typeof pino.destination>[] = [];
  return {
    root,
    forModule(name, opts = {}) {
      if (!config.dir || !opts.ownFile) return root.child({ module: name });
      fs.mkdirSync(config.dir, { recursive: true });
      // Opened synchronously: a destination given a path opens it later, and until then
      // flush() (run on stop) throws "sonic boom is not ready yet".
      const fd = fs.openSync(path.join(config.dir, `${name}.log`), 'a');
      // Synchronous: a per-service file sees info-level lines only (not per message), and
      // ordered, complete files on stop and crash are worth a write call per line.
      const file = pino.destination({ dest: fd, sync: true });
      files.push(file);
      // Multistream entries default to level info, which would drop debug/trace lines; the
      // logger below already filters by config.level, so the streams take every line.
      const both = pino.multistream([
        { stream: out, level: 'trace' },
        { stream: file, level: 'trace' },
      ]);
      return pino(
        { ...baseOptions(config.level), base: { service: 'mychat', pid: process.pid, module: name } },
        both,
      );
    },
    async flush() {
      for (const f of files) f.flushSync();
    },
  };
}
