import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { expect, test } from 'vitest';
import { signInRequestSchema } from '../api/schemas';
import { server } from '../testing/msw';
import { render } from '../testing/render';
import { Shell } from './shell';

const PID = '0a1b2c3d4e5f40718293a4b5c6d7e8f9';
const WS1 = '11111111-2222-4333-8444-555555555555';
const HOUR = 60 * 60_000;

function session(overrides: Record<string, unknown> = {}) {
  return {
    authenticated: false,
    user: null,
    method: 'none',
    expires_at: null,
    sign_in_required: true,
    sign_in_methods: ['access-token', 'iam'],
    region: 'cn-north-4',
    ...overrides,
  };
}

function signedIn(overrides: Record<string, unknown> = {}) {
  return session({
    authenticated: true,
    user: 'console',
    method: 'access-token',
    expires_at: new Date(Date.now() + 8 * HOUR).toISOString(),
    ...overrides,
  });
}

/** The console's reads once signed in; `history` answers the History page. */
function consoleHandlers(
  history: () => Response = () => HttpResponse.json({ items: [], total: 0, offset: 0, limit: 50 }),
) {
  return [
    http.get('/api/config', () =>
      HttpResponse.json({
        mode: 'emulator',
        projectId: PID,
        endpoint: 'http://127.0.0.1:8081',
        region: null,
        user: 'console',
        maxBatchIds: 100000,
        maxIdsPerCall: 100,
        signInRequired: true,
        signInMethods: ['access-token', 'iam'],
      }),
    ),
    http.get(`/v1/${PID}/workspaces`, () =>
      HttpResponse.json({ workspaces: [{ id: WS1, name: 'SOC Operations' }], count: 1 }),
    ),
    http.get('/api/batches', history),
  ];
}

/** Everything the page keeps in web storage (where no secret may go). */
function storedText(): string {
  const values: string[] = [];
  for (const storage of [window.localStorage, window.sessionStorage]) {
    for (let i = 0; i < storage.length; i += 1) {
      const key = storage.key(i);
      if (key !== null) values.push(key, storage.getItem(key) ?? '');
    }
  }
  return values.join('\n');
}

/** A server whose session flips with POST and DELETE, recording what was sent. */
function sessionServer(initial: ReturnType<typeof session>) {
  let current = initial;
  const posted: unknown[] = [];
  const deletes: Request[] = [];
  const postHeaders: Headers[] = [];
  server.use(
    http.get('/api/session', () => HttpResponse.json(current)),
    http.post('/api/session', async ({ request }) => {
      const body: unknown = await request.json();
      posted.push(body);
      postHeaders.push(request.headers);
      const parsed = signInRequestSchema.safeParse(body);
      if (!parsed.success) {
        return HttpResponse.json({ code: 'BAD_REQUEST', message: 'Bad body' }, { status: 400 });
      }
      const sent = parsed.data;
      if (sent.method === 'access-token' && sent.token !== 'right-token') {
        return HttpResponse.json(
          { code: 'SIGN_IN_FAILED', message: 'The access token is not valid.' },
          { status: 401 },
        );
      }
      current = signedIn({
        method: sent.method,
        user: sent.method === 'iam' ? sent.user : 'console',
      });
      return HttpResponse.json(current);
    }),
    http.delete('/api/session', ({ request }) => {
      deletes.push(request);
      current = session();
      return new HttpResponse(null, { status: 204 });
    }),
  );
  return {
    posted,
    deletes,
    postHeaders,
    end: () => {
      current = session();
    },
  };
}

test('when sign-in is required, the sign-in form replaces the console and nothing else is read', async () => {
  sessionServer(session());
  let consoleReads = 0;
  server.use(
    http.get('/api/config', () => {
      consoleReads += 1;
      return HttpResponse.json({}, { status: 500 });
    }),
  );
  render(<Shell />, { route: '/history' });
  expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeVisible();
  expect(screen.getByRole('tab', { name: 'Access token' })).toHaveAttribute(
    'aria-selected',
    'true',
  );
  expect(screen.getByRole('tab', { name: 'IAM user' })).toBeVisible();
  expect(screen.getByLabelText('Access token')).toHaveAttribute('type', 'password');
  expect(screen.getByRole('button', { name: 'Sign in' })).toBeVisible();
  expect(screen.queryByRole('link', { name: 'History' })).not.toBeInTheDocument();
  expect(screen.queryByRole('combobox', { name: 'Workspace' })).not.toBeInTheDocument();
  expect(consoleReads).toBe(0);
});

test('signing in with the access token posts it and then shows the console', async () => {
  const api = sessionServer(session());
  server.use(...consoleHandlers());
  render(<Shell />, { route: '/history' });
  await userEvent.type(await screen.findByLabelText('Access token'), 'right-token');
  await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));

  expect(await screen.findByRole('heading', { name: 'History' })).toBeVisible();
  expect(api.posted).toEqual([{ method: 'access-token', token: 'right-token' }]);
  expect(api.postHeaders[0]?.get('x-requested-with')).toBe('fetch');
  expect(screen.queryByRole('heading', { name: 'Sign in' })).not.toBeInTheDocument();
  const header = screen.getByRole('banner');
  expect(within(header).getByText('console')).toBeVisible();
  expect(within(header).getByRole('button', { name: 'Sign out' })).toBeVisible();
  expect(await within(header).findByRole('combobox', { name: 'Workspace' })).toBeVisible();
  expect(storedText()).not.toContain('right-token');
});

test('a wrong token says why and clears the field, and the form stays', async () => {
  const api = sessionServer(session());
  render(<Shell />);
  const token = await screen.findByLabelText('Access token');
  await userEvent.type(token, 'wrong-token');
  await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));

  const alert = await screen.findByRole('alert');
  expect(alert).toHaveTextContent('Sign-in failed');
  expect(alert).toHaveTextContent('The access token is not valid. (SIGN_IN_FAILED)');
  expect(token).toHaveValue('');
  expect(api.posted).toHaveLength(1);
  expect(screen.getByRole('button', { name: 'Sign in' })).toBeVisible();
});

test('the IAM form posts user, password, account and region (the region defaults from the session)', async () => {
  const api = sessionServer(session());
  server.use(...consoleHandlers());
  render(<Shell />, { route: '/history' });
  await userEvent.click(await screen.findByRole('tab', { name: 'IAM user' }));
  expect(screen.getByRole('textbox', { name: 'Region' })).toHaveValue('cn-north-4');
  await userEvent.type(screen.getByRole('textbox', { name: 'Account' }), 'acme-soc');
  await userEvent.type(screen.getByRole('textbox', { name: 'User name' }), 'analyst');
  await userEvent.type(screen.getByLabelText('Password'), 's3cret pass');
  await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));

  expect(await screen.findByRole('heading', { name: 'History' })).toBeVisible();
  expect(api.posted).toEqual([
    {
      method: 'iam',
      user: 'analyst',
      password: 's3cret pass',
      account: 'acme-soc',
      region: 'cn-north-4',
    },
  ]);
  expect(within(screen.getByRole('banner')).getByText('analyst')).toBeVisible();
  expect(storedText()).not.toContain('s3cret pass');
});

test('"Sign out" deletes the session and brings the sign-in form back', async () => {
  const api = sessionServer(signedIn());
  server.use(...consoleHandlers());
  render(<Shell />, { route: '/history' });
  expect(await screen.findByRole('heading', { name: 'History' })).toBeVisible();
  await userEvent.click(screen.getByRole('button', { name: 'Sign out' }));

  expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeVisible();
  expect(api.deletes).toHaveLength(1);
  expect(api.deletes[0]?.headers.get('x-requested-with')).toBe('fetch');
  expect(screen.queryByRole('button', { name: 'Sign out' })).not.toBeInTheDocument();
  expect(screen.queryByRole('heading', { name: 'History' })).not.toBeInTheDocument();
});

test('a request refused with SIGN_IN_REQUIRED re-reads the session and shows the sign-in form', async () => {
  const api = sessionServer(signedIn());
  server.use(
    ...consoleHandlers(() => {
      api.end();
      return HttpResponse.json(
        { code: 'SIGN_IN_REQUIRED', message: 'Sign in to use the console.' },
        { status: 401 },
      );
    }),
  );
  render(<Shell />, { route: '/history' });
  expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeVisible();
  expect(screen.getByLabelText('Access token')).toBeVisible();
});

test('a session ending within the hour is announced with its end time', async () => {
  const endsAt = new Date(Date.now() + 30 * 60_000);
  sessionServer(signedIn({ expires_at: endsAt.toISOString() }));
  server.use(...consoleHandlers());
  render(<Shell />, { route: '/history' });
  const hhmm = `${String(endsAt.getHours()).padStart(2, '0')}:${String(endsAt.getMinutes()).padStart(2, '0')}`;
  expect(
    await screen.findByText(
      `Your SecMaster session ends at ${hhmm} — sign in again to keep batches running`,
    ),
  ).toBeVisible();
});

test('a session with hours left shows no warning', async () => {
  sessionServer(signedIn({ expires_at: new Date(Date.now() + 3 * HOUR).toISOString() }));
  server.use(...consoleHandlers());
  render(<Shell />, { route: '/history' });
  expect(await screen.findByRole('heading', { name: 'History' })).toBeVisible();
  expect(screen.queryByText(/Your SecMaster session ends at/)).not.toBeInTheDocument();
});

test('a console without sign-in shows neither the form nor "Sign out"', async () => {
  server.use(
    http.get('/api/session', () =>
      HttpResponse.json(session({ sign_in_required: false, sign_in_methods: [] })),
    ),
    ...consoleHandlers(),
  );
  render(<Shell />, { route: '/history' });
  expect(await screen.findByRole('heading', { name: 'History' })).toBeVisible();
  expect(screen.queryByRole('heading', { name: 'Sign in' })).not.toBeInTheDocument();
  expect(screen.queryByRole('button', { name: 'Sign out' })).not.toBeInTheDocument();
});
