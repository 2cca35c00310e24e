import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';

/**
 * Config: defaults < mychat.yaml < MYCHAT_* environment < command-line flags, validated by
 * one zod schema composed from each module's own part. Every object is strict, so an
 * unknown key in any source is rejected with a message naming it.
 *
 * Environment names derive from the path: `http.port` is MYCHAT_HTTP_PORT, `jwt.keyFile`
 * is MYCHAT_JWT_KEY_FILE. Flags use the dotted path: `--http.port=0`.
 */

/** An integer that may arrive as a string; an empty string is an error, never 0. */
const int = (min: number, max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? (v.trim() === '' ? Number.NaN : Number(v)) : v),
    z.number().int().min(min).max(max),
  );

/** Leaf builders that also accept the strings env vars and flags carry. */
export const cfg = {
  str: (def: string) => z.string().default(def),
  optStr: () => z.string().optional(),
  int: (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) => int(min, max).default(def),
  port: (def: number) => int(0, 65535).default(def),
  bool: (def: boolean) =>
    z
      .preprocess(
        (v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v),
        z.boolean(),
      )
      .default(def),
  list: (def: string[]) =>
    z
      .preprocess(
        (v) =>
          typeof v === 'string'
            ? v
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean)
            : v,
        z.array(z.string()),
      )
      .default(def),
  enum: <const T extends readonly [string, ...string[]]>(values: T, def: T[number]) =>
    z.enum(values).default(def as never),
  /** A nested group of settings, filled from its own defaults when absent. */
  group: <S extends z.ZodRawShape>(shape: S) => z.strictObject(shape).prefault({} as never),
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type AnySchema = z.ZodType;

function unwrap(s: AnySchema): AnySchema {
  // Walks through default/optional/preprocess wrappers to the schema that holds the shape.
  let cur = s as unknown as { _zod: { def: Record<string, unknown> } };
  for (let i = 0; i < 10; i++) {
    const def = cur._zod.def;
    const next = (def.innerType ?? (def.type === 'pipe' ? def.out : undefined)) as typeof cur | undefined;
    if (!next) break;
    cur = next;
  }
  return cur as unknown as AnySchema;
}

function shapeOf(s: AnySchema): Record<string, AnySchema> | undefined {
  const u = unwrap(s) as unknown as { _zod: { def: { type: string; shape?: Record<string, AnySchema> } } };
  return u._zod.def.type === 'object' ? u._zod.def.shape : undefined;
}

const toSnake = (k: string) => k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

/** Every leaf path of the schema with its environment variable name. */
export function configKeys(schema: AnySchema, prefix: string[] = []): { path: string[]; env: string }[] {
  const shape = shapeOf(schema);
  if (!shape) return [{ path: prefix, env: 'MYCHAT_' + prefix.map(toSnake).join('_') }];
  return Object.entries(shape).flatMap(([k, v]) => configKeys(v, [...prefix, k]));
}

function setPath(obj: Record<string, unknown>, p: string[], value: unknown) {
  let cur = obj;
  for (const k of p.slice(0, -1)) {
    const next = cur[k];
    if (typeof next !== 'object' || next === null) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[p[p.length - 1]!] = value;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      prev &&
      typeof prev === 'object' &&
      !Array.isArray(prev)
        ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/** Environment variables that are not config keys (test fixtures, the config file path). */
const RESERVED_ENV = /^MYCHAT_(TEST_|CONFIG$)/;

export interface ConfigSources {
  /** Path of a YAML file; when absent, ./mychat.yaml is read if it exists. */
  file?: string;
  env?: Record<string, string | undefined>;
  /** Dotted paths to values, e.g. { 'http.port': '0' }. */
  flags?: Record<string, string>;
  /** Values set by code (tests); applied last. */
  overrides?: Record<string, unknown>;
}

export function loadConfig<S extends AnySchema>(schema: S, sources: ConfigSources = {}): z.output<S> {
  const env = sources.env ?? {};
  const file =
    sources.file ?? env.MYCHAT_CONFIG ?? (fs.existsSync('mychat.yaml') ? 'mychat.yaml' : undefined);
  let fromFile: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`);
    }
    const parsed: unknown = parseYaml(text) ?? {};
    if (typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new ConfigError(`config file ${file} must hold a mapping of keys`);
    }
    fromFile = parsed as Record<string, unknown>;
  }

  const keys = configKeys(schema);
  const byEnv = new Map(keys.map((k) => [k.env, k.path]));
  const fromEnv: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('MYCHAT_') || value === undefined || RESERVED_ENV.test(name)) continue;
    const p = byEnv.get(name);
    if (!p) throw new ConfigError(`unknown config key in environment: ${name}`);
    setPath(fromEnv, p, value);
  }

  const known = new Set(keys.map((k) => k.path.join('.')));
  const fromFlags: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(sources.flags ?? {})) {
    if (!known.has(name)) throw new ConfigError(`unknown config key in flags: --${name}`);
    setPath(fromFlags, name.split('.'), value);
  }

  const merged = [fromFile, fromEnv, fromFlags, sources.overrides ?? {}].reduce(deepMerge, {});
  const result = schema.safeParse(merged);
  if (!result.success) {
    const lines = result.error.issues.map((i) => {
      const where = i.path.join('.');
      if (i.code === 'unrecognized_keys') {
        return i.keys.map((k) => `unknown config key: ${[where, k].filter(Boolean).join('.')}`).join('\n');
      }
      return `config key ${where || '(root)'}: ${i.message}`;
    });
    throw new ConfigError(lines.join('\n'));
  }
  return result.data;
}

const SECRET_KEY = /(password|secret|token|credential)(?!File$)/i;

/** The resolved config as YAML with secrets and URL credentials masked. */
export function printConfig(config: unknown): string {
  const mask = (v: unknown, key: string): unknown => {
    if (typeof v === 'string') {
      if (SECRET_KEY.test(key) && v) return '***';
      return v.replace(/\/\/([^/@:]*):([^/@]*)@/, '//$1:***@');
    }
    if (Array.isArray(v)) return v.map((x) => mask(x, key));
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mask(x, k)]));
    }
    return v;
  };
  return stringifyYaml(mask(config, ''));
}

/** Resolves a path relative to the data dir unless it is absolute. */
export function inDataDir(dataDir: string, p: string): string {
  return path.isAbsolute(p) ? p : path.join(dataDir, p);
}
