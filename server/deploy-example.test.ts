/**
 * The deployment example (deploy/: compose.yaml, Dockerfile, Caddyfile, example.env) and
 * docs/deploy.md against the code, so that neither drifts from what the console accepts. Containers
 * cannot run where the tests run: what this checks is what a console started from the example
 * would be given (its environment, through loadConfig), how it is started, and that the names the
 * documentation gives are the console's. What the consoles then do on one PostgreSQL is tested by
 * the two-console tests (lease-host, leases, shared-upstream, shared-sessions, migrate).
 *
 * No YAML parser is among the project's dependencies: `readYaml` below reads the subset the
 * example is written in (block mappings and sequences, plain and quoted scalars, comments) and
 * refuses everything else, so that an edit in another style fails here rather than being misread.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { loadConfig } from './config';

const ROOT = new URL('../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), 'utf8');

// A YAML subset ----------------------------------------------------------------------------------

type Yaml = string | null | Yaml[] | { [key: string]: Yaml };

interface Line {
  readonly no: number;
  readonly indent: number;
  /** Without the indentation; a `- ` of a sequence item read as a mapping is replaced by spaces. */
  readonly text: string;
}

/** Reads block mappings, block sequences and scalars (strings, null); throws on anything else. */
function readYaml(source: string): Yaml {
  const lines: Line[] = [];
  source.split('\n').forEach((raw, i) => {
    if (/^ *\t/.test(raw)) throw new Error(`line ${String(i + 1)}: a tab in the indentation`);
    const text = raw.trimEnd();
    const body = text.trimStart();
    if (body === '' || body.startsWith('#')) return;
    if (body === '---' || body === '...')
      throw new Error(`line ${String(i + 1)}: one document only`);
    lines.push({ no: i + 1, indent: text.length - body.length, text: body });
  });
  if (lines.length === 0) return null;
  const [value, next] = block(lines, 0, lines[0]?.indent ?? 0);
  if (next < lines.length)
    throw new Error(`line ${String(lines[next]?.no)}: unexpected indentation`);
  return value;
}

function block(lines: Line[], i: number, indent: number): [Yaml, number] {
  const first = lines[i];
  if (!first) return [null, i];
  return first.text === '-' || first.text.startsWith('- ')
    ? sequence(lines, i, indent)
    : mapping(lines, i, indent);
}

const KEY = /^([A-Za-z0-9_.-]+):(?: +|$)(.*)$/;

function mapping(lines: Line[], start: number, indent: number): [Yaml, number] {
  const out: Record<string, Yaml> = {};
  let i = start;
  while (i < lines.length) {
    const line = lines[i];
    if (!line || line.indent < indent) break;
    if (line.indent > indent) throw new Error(`line ${String(line.no)}: unexpected indentation`);
    const m = KEY.exec(line.text);
    if (!m) throw new Error(`line ${String(line.no)}: expected "key: value", got ${line.text}`);
    const key = m[1] ?? '';
    if (Object.hasOwn(out, key)) throw new Error(`line ${String(line.no)}: ${key} given twice`);
    const rest = stripComment(m[2] ?? '');
    i++;
    if (rest !== '') {
      out[key] = scalar(rest, line.no);
      continue;
    }
    const child = lines[i];
    // A sequence may sit at its key's own indentation (`key:` then `- item`), as compose files do.
    const nested =
      child !== undefined &&
      (child.indent > indent ||
        (child.indent === indent && (child.text === '-' || child.text.startsWith('- '))));
    if (!nested) {
      out[key] = null;
      continue;
    }
    [out[key], i] = block(lines, i, child.indent);
  }
  return [out, i];
}

function sequence(lines: Line[], start: number, indent: number): [Yaml, number] {
  const out: Yaml[] = [];
  let i = start;
  while (i < lines.length) {
    const line = lines[i];
    if (!line || line.indent !== indent || !(line.text === '-' || line.text.startsWith('- '))) {
      if (line && line.indent > indent) {
        throw new Error(`line ${String(line.no)}: unexpected indentation`);
      }
      break;
    }
    const rest = line.text === '-' ? '' : line.text.slice(2).trimStart();
    const at = indent + (line.text.length - rest.length);
    if (rest === '') {
      const child = lines[i + 1];
      if (child === undefined || child.indent <= indent) {
        out.push(null);
        i++;
      } else {
        const [value, next] = block(lines, i + 1, child.indent);
        out.push(value);
        i = next;
      }
    } else if (KEY.test(rest) || rest.startsWith('- ')) {
      // `- key: value` (and the keys under it): a mapping (or sequence) at the item's column.
      lines[i] = { no: line.no, indent: at, text: rest };
      const [value, next] = block(lines, i, at);
      out.push(value);
      i = next;
    } else {
      out.push(scalar(stripComment(rest), line.no));
      i++;
    }
  }
  return [out, i];
}

/** Drops a ` # comment` after a value (not inside quotes). */
function stripComment(text: string): string {
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || text[i - 1] === ' ')) return text.slice(0, i).trimEnd();
  }
  return text;
}

function scalar(text: string, no: number): string | null {
  const where = `line ${String(no)}`;
  if (text.startsWith('"')) {
    if (!text.endsWith('"') || text.length < 2) throw new Error(`${where}: unclosed "`);
    return JSON.parse(text) as string;
  }
  if (text.startsWith("'")) {
    const inner = /^'((?:[^']|'')*)'$/.exec(text);
    if (!inner) throw new Error(`${where}: unclosed '`);
    return (inner[1] ?? '').replace(/''/g, "'");
  }
  if (/^[[{&*!|>%@`]/.test(text)) {
    throw new Error(`${where}: flow collections, anchors, tags and block scalars are not read`);
  }
  // In a plain scalar ": " would begin a mapping: such a value must be quoted.
  if (text.includes(': ') || text.endsWith(':')) throw new Error(`${where}: quote "${text}"`);
  return text === '~' || text === 'null' ? null : text;
}

function asMap(value: Yaml | undefined, what: string): Record<string, Yaml> {
  if (value === null || value === undefined || typeof value === 'string' || Array.isArray(value)) {
    throw new Error(`${what} is not a mapping`);
  }
  return value;
}

function asStrings(value: Yaml | undefined, what: string): string[] {
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
    throw new Error(`${what} is not a list of strings`);
  }
  return value;
}

describe('readYaml (the subset the example is written in)', () => {
  test('reads nested mappings, sequences at their key’s indentation, items that are mappings, quotes and comments', () => {
    const doc = [
      'a:',
      '  b: plain value # a comment',
      "  c: 'it''s'",
      '  d: "x: y # not a comment"',
      '  e:',
      '  - one',
      '  - k: v',
      '    l: w',
      '  f:',
      'g: ${X:?set X}@host:5432/db',
    ].join('\n');
    expect(readYaml(doc)).toEqual({
      a: {
        b: 'plain value',
        c: "it's",
        d: 'x: y # not a comment',
        e: ['one', { k: 'v', l: 'w' }],
        f: null,
      },
      g: '${X:?set X}@host:5432/db',
    });
  });

  test.each([
    ['an anchor', 'a: &x 1\nb: *x'],
    ['a merge key', 'a:\n  <<: {}'],
    ['a flow sequence', 'a: [1, 2]'],
    ['a block scalar', 'a: |\n  text'],
    ['a plain value holding ": "', 'a:\n  - x ? 0 : 1'],
    ['a key given twice', 'a: 1\na: 2'],
    ['a tab', 'a:\n\tb: 1'],
    ['a stray indentation', 'a: 1\n   b: 2'],
  ])('refuses %s rather than misread it', (_, doc) => {
    expect(() => readYaml(doc)).toThrow();
  });
});

// The example -----------------------------------------------------------------------------------

const compose = asMap(readYaml(read('deploy/compose.yaml')), 'compose.yaml');
const services = asMap(compose.services, 'services');
const CONSOLES = ['console-a', 'console-b'];

/** `${NAME}`, `${NAME:?message}`, `${NAME:-default}` as compose substitutes them from `vars`. */
function substitute(text: string, vars: Record<string, string>): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:\?|:-)([^}]*))?\}|\$\$/g,
    (whole, name: string | undefined, op: string | undefined, arg: string | undefined) => {
      if (whole === '$$') return '$';
      const value = vars[name ?? ''] ?? '';
      if (op === ':?' && value === '') throw new Error(`compose would stop: ${arg ?? name ?? ''}`);
      return value === '' && op === ':-' ? (arg ?? '') : value;
    },
  );
}

/** Every `${NAME…}` the values of a document refer to (its comments aside). */
function referenced(value: Yaml): Set<string> {
  if (value === null) return new Set();
  if (typeof value === 'string') {
    return new Set([...value.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] ?? ''));
  }
  const children = Array.isArray(value) ? value : Object.values(value);
  return new Set(children.flatMap((v) => [...referenced(v)]));
}

function environmentOf(service: string): Record<string, string> {
  const env = asMap(asMap(services[service], service).environment, `${service}.environment`);
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => {
      if (typeof v !== 'string') throw new Error(`${service}: ${k} is not a string`);
      return [k, v];
    }),
  );
}

function consoleEnv(service: string, vars: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(environmentOf(service)).map(([k, v]) => [k, substitute(v, vars)]),
  );
}

/** What deploy/.env would hold (compose.yaml's required names), made up for the test. */
const REQUIRED = {
  CONSOLE_HOST: 'console.example.com',
  POSTGRES_PASSWORD: randomBytes(24).toString('hex'),
  SESSION_KEY: randomBytes(32).toString('base64'),
  SECMASTER_REGION: 'cn-north-4',
};

/** The variables of the console's environment schema (config.ts), read from its source. */
function schemaVariables(): Set<string> {
  const source = read('server/config.ts');
  const body = /const envSchema = z\.object\(\{\n([\s\S]*?)\n\}\);/.exec(source)?.[1];
  if (body === undefined) throw new Error('envSchema not found in server/config.ts');
  return new Set([...body.matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1] ?? ''));
}

describe('deploy/compose.yaml', () => {
  test('every console service’s environment is accepted by loadConfig: IAM sign-in, the shared ledger, TLS at the proxy', () => {
    for (const name of CONSOLES) {
      const config = loadConfig(consoleEnv(name, REQUIRED));
      expect(config).toMatchObject({
        host: '0.0.0.0',
        port: 8080,
        mode: 'secmaster',
        region: 'cn-north-4',
        endpoint: 'https://secmaster.cn-north-4.myhuaweicloud.com',
        iamSignIn: true,
        credentials: null,
        accessToken: null,
        tls: { kind: 'proxy' },
        publicOrigin: 'https://console.example.com',
        trustedProxies: ['172.30.0.10/32'],
        batchConcurrency: 8,
      });
      expect(config.database?.where).toBe('PostgreSQL postgres:5432/console');
      expect(config.database?.leaseMs).toBe(15_000);
      expect(config.database?.url.reveal()).toBe(
        `postgres://console:${REQUIRED.POSTGRES_PASSWORD}@postgres:5432/console`,
      );
      expect(config.sessionKeys?.current).toBeDefined();
      expect(config.sessionKeys?.previous).toBeNull();
    }
  });

  test('with the optional values filled in: one AK/SK, the access token, a key rotation', () => {
    const vars = {
      ...REQUIRED,
      CLOUD_SDK_AK: 'EXAMPLEAK0123456789',
      CLOUD_SDK_SK: randomBytes(20).toString('hex'),
      CONSOLE_ACCESS_TOKEN: randomBytes(32).toString('base64'),
      SESSION_KEY_PREVIOUS: randomBytes(32).toString('hex'),
      SECMASTER_PROJECT_ID: '0123456789abcdef0123456789abcdef',
    };
    for (const name of CONSOLES) {
      const config = loadConfig(consoleEnv(name, vars));
      expect(config.iamSignIn).toBe(false);
      expect(config.credentials?.reveal()).toMatchObject({ kind: 'aksk', ak: vars.CLOUD_SDK_AK });
      expect(config.accessToken).not.toBeNull();
      expect(config.sessionKeys?.previous).not.toBeNull();
      expect(config.projectId).toBe(vars.SECMASTER_PROJECT_ID);
    }
  });

  test('without SESSION_KEY compose stops, and the console would refuse too (sign-in on a shared database)', () => {
    expect(() => consoleEnv('console-a', { ...REQUIRED, SESSION_KEY: '' })).toThrow(
      'compose would stop: set SESSION_KEY',
    );
    const env = { ...consoleEnv('console-a', REQUIRED), SESSION_KEY: '' };
    expect(() => loadConfig(env)).toThrow(/SESSION_KEY is required with DATABASE_URL/);
  });

  test('the consoles have the same settings, each one a variable of the console', () => {
    const [first, ...others] = CONSOLES.map(environmentOf);
    for (const env of others) expect(env).toEqual(first);
    const schema = schemaVariables();
    expect(Object.keys(first ?? {}).filter((k) => !schema.has(k))).toEqual([]);
  });

  test('TRUSTED_PROXIES names the proxy’s fixed address, and PUBLIC_ORIGIN its host name', () => {
    const proxy = asMap(services.proxy, 'proxy');
    const network = asMap(
      asMap(proxy.networks, 'proxy.networks').console,
      'proxy.networks.console',
    );
    const env = consoleEnv('console-a', REQUIRED);
    expect(env.TRUSTED_PROXIES).toBe(network.ipv4_address);
    const subnet = asMap(
      asMap(asMap(compose.networks, 'networks').console, 'networks.console').ipam,
      'ipam',
    ).config;
    expect(subnet).toEqual([{ subnet: '172.30.0.0/24' }]);
    expect(network.ipv4_address).toMatch(/^172\.30\.0\.\d{1,3}$/);
    const proxyEnv = Object.fromEntries(
      Object.entries(environmentOf('proxy')).map(([k, v]) => [k, substitute(v, REQUIRED)]),
    );
    expect(new URL(env.PUBLIC_ORIGIN ?? '').host).toBe(proxyEnv.CONSOLE_HOST);
  });

  test('the consoles are built from deploy/Dockerfile and wait for PostgreSQL’s health check', () => {
    for (const name of CONSOLES) {
      const s = asMap(services[name], name);
      expect(s.build).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' });
      expect(s.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
      expect(s.ports).toBeUndefined();
    }
    const pg = asMap(services.postgres, 'postgres');
    expect(pg.image).toBe('postgres:15');
    expect(asStrings(pg.volumes, 'postgres.volumes')).toEqual(['pgdata:/var/lib/postgresql/data']);
    expect(asStrings(asMap(pg.healthcheck, 'healthcheck').test, 'healthcheck.test')[0]).toBe(
      'CMD-SHELL',
    );
  });

  test('deploy/example.env lists exactly the values compose.yaml asks for, all of them empty', () => {
    const names = referenced(compose);
    for (const name of Object.keys(REQUIRED)) expect(names).toContain(name);
    const example = read('deploy/example.env')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
    // Empty: an example value copied as it is must never become a real secret.
    for (const l of example) expect(l).toMatch(/^[A-Z][A-Z0-9_]*=$/);
    expect(new Set(example.map((l) => l.slice(0, -1)))).toEqual(names);
  });
});

describe('deploy/Dockerfile and deploy/Caddyfile', () => {
  test('the image starts the console as `npm run serve` does, after npm ci and the build, on Node 20', () => {
    const dockerfile = read('deploy/Dockerfile');
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    const argv = JSON.parse(cmd ?? 'null') as unknown;
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(Array.isArray(argv) && argv.join(' ')).toBe(pkg.scripts.serve);
    const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(new Set(froms)).toEqual(new Set(['node:20-bookworm-slim']));
    expect(dockerfile).toMatch(/^RUN npm ci$/m);
    expect(dockerfile).toMatch(/^RUN npm run build$/m);
  });

  test('the proxy balances over both consoles without stickiness, and checks /api/health under the served name', () => {
    const caddyfile = read('deploy/Caddyfile').replace(/#.*$/gm, '');
    const upstreams = /reverse_proxy ([^{\n]+)\{/.exec(caddyfile)?.[1]?.trim().split(/\s+/);
    const port = consoleEnv('console-a', REQUIRED).PORT ?? '';
    expect(upstreams).toEqual(CONSOLES.map((c) => `${c}:${port}`));
    // The policies that keep a client on one console: none is needed (sessions are shared).
    const policy = /lb_policy (\S+)/.exec(caddyfile)?.[1];
    expect(['random', 'round_robin', 'least_conn']).toContain(policy);
    expect(caddyfile).toMatch(/health_uri \/api\/health\n/);
    expect(caddyfile).toMatch(/health_headers \{\s*Host \{\$CONSOLE_HOST\}\s*\}/);
    expect(caddyfile).toMatch(/^\{\$CONSOLE_HOST\} \{/m);
  });
});

describe('docs/deploy.md', () => {
  /**
   * Names in upper case with an underscore that the page gives and that are not the console's:
   * the example's own (compose and Caddy) and the PostgreSQL image's. Each must be in the example.
   */
  const NOT_THE_CONSOLES = ['CONSOLE_HOST', 'POSTGRES_PASSWORD', 'POSTGRES_USER', 'POSTGRES_DB'];

  test('every environment variable it names is one the console reads (config.ts), or the example’s own', () => {
    const schema = schemaVariables();
    // The parse of the schema found it whole, not a part.
    for (const v of [
      'PORT',
      'HOST',
      'DATA_DIR',
      'DATABASE_URL',
      'DATABASE_LEASE_MS',
      'SESSION_KEY',
    ]) {
      expect(schema).toContain(v);
    }
    expect(schema.size).toBeGreaterThan(25);
    const doc = read('docs/deploy.md');
    const named = new Set([...doc.matchAll(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g)].map((m) => m[0]));
    expect([...named].filter((n) => !schema.has(n) && !NOT_THE_CONSOLES.includes(n))).toEqual([]);
    // The page does name the settings a deployment needs.
    for (const v of ['DATABASE_URL', 'DATABASE_LEASE_MS', 'SESSION_KEY', 'TRUSTED_PROXIES']) {
      expect(named).toContain(v);
    }
    const example = read('deploy/compose.yaml');
    for (const n of NOT_THE_CONSOLES) {
      expect(schema.has(n)).toBe(false);
      expect(example).toContain(n);
    }
  });
});
