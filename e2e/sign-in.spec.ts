/**
 * Sign-in with the access token, for real: a second console (see playwright.config.ts) runs with
 * CONSOLE_ACCESS_TOKEN set, so every /api and /v1 call needs the session cookie.
 */
import { signInPort } from '../playwright.config';
import { expect, test as base } from './fixtures';
import { SignInPage } from './pages/sign-in-page';
import { axeViolations } from './support/axe';

const accessToken = process.env.E2E_ACCESS_TOKEN ?? '';

const test = base.extend<{ signIn: SignInPage }>({
  signIn: async ({ page }, use) => {
    await use(new SignInPage(page));
  },
});

test.use({ baseURL: `http://127.0.0.1:${signInPort}` });

test.beforeAll(() => {
  expect(accessToken.length, 'playwright.config.ts sets E2E_ACCESS_TOKEN').toBeGreaterThan(15);
});

test('the access token opens the console, survives a reload, and "Sign out" closes it', async ({
  page,
  consolePage,
  signIn,
}) => {
  await page.goto('/');
  await signIn.expectShown();
  await expect(consolePage.workspace).toHaveCount(0);
  expect(await axeViolations(page)).toEqual([]);

  await signIn.signInWithToken(`${accessToken}x`);
  await expect(signIn.failure).toBeVisible();
  await expect(signIn.accessToken).toHaveValue('');

  await signIn.signInWithToken(accessToken);
  await expect(consolePage.workspace).not.toHaveValue('');
  await expect(signIn.heading).toHaveCount(0);
  await expect(signIn.signOutButton).toBeVisible();

  const cookies = await page.context().cookies();
  expect(cookies.length).toBeGreaterThan(0);
  expect(cookies.every((c) => c.httpOnly)).toBe(true);
  const stored = await page.evaluate(() =>
    JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)]),
  );
  expect(stored).not.toContain(accessToken);

  await page.reload();
  await expect(consolePage.workspace).not.toHaveValue('');
  await expect(signIn.heading).toHaveCount(0);

  await signIn.signOut();
  await expect(consolePage.workspace).toHaveCount(0);
  await page.reload();
  await signIn.expectShown();
});

test('without a session the API refuses, with a Bearer token automation gets in', async ({
  request,
}) => {
  const refused = await request.get('/api/batches');
  expect(refused.status()).toBe(401);
  expect(await refused.json()).toMatchObject({ code: 'SIGN_IN_REQUIRED' });

  const session = await request.get('/api/session');
  expect(await session.json()).toMatchObject({
    authenticated: false,
    sign_in_required: true,
    sign_in_methods: ['access-token'],
  });

  const automation = await request.get('/api/batches', {
    headers: { Authorization: `Bearer ${accessToken}` },
  });
  expect(automation.status()).toBe(200);
});
