/**
 * IAM sign-in for real: the console runs in `secmaster` mode with no credential of its own; the
 * analyst signs in with an IAM user (the local IAM stand-in issues the token), and every
 * SecMaster call of theirs goes out with that token (see playwright.config.ts).
 */
import { iamPort } from '../playwright.config';
import { DEMO_PROJECT_ID } from '../server/config';
import { expect, test as base } from './fixtures';
import { SignInPage } from './pages/sign-in-page';
import { EmulatorClient } from './support/emulator-client';
import { SLOTS } from './support/slots';

const test = base.extend<{ signIn: SignInPage }>({
  signIn: async ({ page }, use) => {
    await use(new SignInPage(page));
  },
  emulator: async ({ request, baseURL }, use) => {
    await use(new EmulatorClient(request, baseURL ?? '', DEMO_PROJECT_ID));
  },
});

test.use({ baseURL: `http://127.0.0.1:${iamPort}` });

test('an analyst signs in with their IAM user and their batch runs as them', async ({
  page,
  consolePage: ui,
  signIn,
  emulator,
}) => {
  const { workspace, incident, alerts } = await emulator.scene(SLOTS.iam);

  await page.goto('/');
  await signIn.expectShown();
  await signIn.signInAsIamUser({
    account: 'demo-account',
    name: 'demo-analyst',
    password: 'wrong-password',
    region: 'cn-north-4',
  });
  await expect(signIn.failure).toBeVisible();
  await expect(signIn.password).toHaveValue('');

  await signIn.password.fill('demo-password');
  await signIn.signInButton.click();
  await expect(ui.workspace).toHaveValue(workspace.name);
  await expect(page.getByRole('banner')).toContainText('demo-analyst');
  await expect(page.getByRole('banner')).toContainText('SecMaster cn-north-4');

  await ui.chooseSubject('Incidents', incident.title.slice(0, 24), incident.title);
  await ui.chooseRelatedClass('Alerts');
  await ui.pasteIds(alerts.map((a) => a.id).join('\n'));
  await ui.submitButton('Associate').click();
  await ui.waitForBatchDone();
  await expect(ui.badge('Succeeded')).toHaveText('Succeeded 3');
  await expect(page.getByText('IAM sign-in of demo-analyst')).toBeVisible();
  const linked = await emulator.linkedIds(workspace.id, 'incidents', incident.id, 'alerts');
  for (const a of alerts) expect(linked).toContain(a.id);

  await signIn.signOut();
});
