/**
 * A local stand-in for Huawei Cloud IAM, for tests and emulator-mode demos:
 * `POST /v3/auth/tokens` (password method) answers 201 with `X-Subject-Token` and
 * `{token:{expires_at, project:{id,name}, user:{name, domain:{name}}}}` for a configured user,
 * 401 otherwise; `GET /v3/projects?name=` lists the project of a region for a token it issued.
 * Listens on 127.0.0.1 only. Run alone: `npm run iam` in this package (`node --import tsx
 * src/iam.ts`; IAM_STANDIN_PORT, IAM_DEMO_USER, IAM_DEMO_PASSWORD, IAM_DEMO_ACCOUNT,
 * IAM_DEMO_PROJECT_ID).
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { randomBytes, createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

export interface IamStandInUser {
  name: string;
  password: string;
  account: string;
}

export interface IamStandInOptions {
  users: readonly IamStandInUser[];
  /** Region name → project ID. */
  projects: Readonly<Record<string, string>>;
  port?: number;
  tokenTtlMs?: number;
  now?: () => Date;
  /** Leave `token.project` out of the token answer (the console must then look the project up). */
  omitProjectInToken?: boolean;
}

export interface RunningIamStandIn {
  url: string;
  port: number;
  /** Tokens issued so far (tests: check that the emulator/upstream received one). */
  readonly issued: ReadonlyMap<string, { user: string; projectId: string }>;
  /** Requests seen: method, path, and whether a body was present (never the body). */
  readonly requests: { method: string; path: string }[];
  close(): Promise<void>;
}

function same(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

const unauthorized = {
  error: { code: 401, message: 'The username or password is wrong.', title: 'Unauthorized' },
  error_code: 'IAM.0004',
  error_msg: 'The username or password is wrong.',
};

export function iamStandInApp(options: IamStandInOptions) {
  const now = options.now ?? (() => new Date());
  const ttl = options.tokenTtlMs ?? 24 * 60 * 60 * 1000;
  const issued = new Map<string, { user: string; projectId: string; expiresAt: number }>();
  const requests: { method: string; path: string }[] = [];
  const app = new Hono();
  app.use('*', async (c, next) => {
    requests.push({ method: c.req.method, path: new URL(c.req.url).pathname });
    await next();
  });
  app.post('/v3/auth/tokens', async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json({ error_code: 'IAM.0001', error_msg: 'The request body is invalid.' }, 400);
    }
    const auth = (body as { auth?: Record<string, unknown> } | null)?.auth as
      | {
          identity?: {
            methods?: unknown;
            password?: {
              user?: { name?: unknown; password?: unknown; domain?: { name?: unknown } };
            };
          };
          scope?: { project?: { name?: unknown; id?: unknown } };
        }
      | undefined;
    const u = auth?.identity?.password?.user;
    const methods = auth?.identity?.methods;
    const user = options.users.find(
      (x) =>
        Array.isArray(methods) &&
        methods.includes('password') &&
        typeof u?.name === 'string' &&
        typeof u.password === 'string' &&
        typeof u.domain?.name === 'string' &&
        x.name === u.name &&
        x.account === u.domain.name &&
        same(x.password, u.password),
    );
    if (!user) return c.json(unauthorized, 401);
    const scope = auth?.scope?.project;
    const entry = Object.entries(options.projects).find(([name, id]) =>
      typeof scope?.id === 'string' ? id === scope.id : name === scope?.name,
    );
    if (!entry) {
      return c.json({ error_code: 'IAM.0002', error_msg: 'The project does not exist.' }, 404);
    }
    const [projectName, projectId] = entry;
    const token = `MIIstandin-${randomBytes(24).toString('base64url')}`;
    const expiresAt = now().getTime() + ttl;
    issued.set(token, { user: user.name, projectId, expiresAt });
    c.header('X-Subject-Token', token);
    return c.json(
      {
        token: {
          expires_at: new Date(expiresAt).toISOString(),
          issued_at: now().toISOString(),
          methods: ['password'],
          ...(options.omitProjectInToken
            ? {}
            : { project: { id: projectId, name: projectName, domain: { name: user.account } } }),
          user: { name: user.name, domain: { name: user.account } },
        },
      },
      201,
    );
  });
  app.get('/v3/projects', (c) => {
    const token = c.req.header('x-auth-token') ?? '';
    const t = issued.get(token);
    if (!t || t.expiresAt <= now().getTime()) return c.json(unauthorized, 401);
    const name = c.req.query('name');
    const projects = Object.entries(options.projects)
      .filter(([n]) => name === undefined || n === name)
      .map(([n, id]) => ({ id, name: n, enabled: true }));
    return c.json({ projects, links: { self: '/v3/projects' } });
  });
  app.all('*', (c) => c.json({ error_code: 'IAM.0404', error_msg: 'not found' }, 404));
  return { app, issued, requests };
}

export async function startIamStandIn(options: IamStandInOptions): Promise<RunningIamStandIn> {
  const { app, issued, requests } = iamStandInApp(options);
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port ?? 0, hostname: '127.0.0.1' }, () =>
      resolve(s),
    );
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    issued,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const env = process.env;
  const running = await startIamStandIn({
    port: Number(env.IAM_STANDIN_PORT ?? 8090),
    users: [
      {
        name: env.IAM_DEMO_USER ?? 'demo-analyst',
        password: env.IAM_DEMO_PASSWORD ?? 'demo-password',
        account: env.IAM_DEMO_ACCOUNT ?? 'demo-account',
      },
    ],
    projects: {
      [env.SECMASTER_REGION ?? 'cn-north-4']:
        env.IAM_DEMO_PROJECT_ID ?? '0a1b2c3d4e5f40718293a4b5c6d7e8f9',
    },
  });
  console.log(`IAM stand-in on ${running.url} (demo user only; never a real IAM)`);
}
