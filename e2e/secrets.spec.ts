import { readFileSync } from 'node:fs';
import { DEMO_AK, DEMO_SK } from '../server/credentials';
import { ConsolePage } from './pages/console-page';
import { expect, test } from './fixtures';
import { SLOTS } from './support/slots';

// A5 #22: nothing the browser receives (bundle, API answers, headers) carries a signing secret.
test('a recorded session (HAR) holds no secret, signature or token', async ({
  browser,
  emulator,
  baseURL,
}, testInfo) => {
  const harPath = testInfo.outputPath('session.har');
  const context = await browser.newContext({
    baseURL,
    recordHar: { path: harPath, content: 'embed' },
  });
  const page = await context.newPage();
  const ui = new ConsolePage(page);
  const { incident, alerts } = await emulator.scene(SLOTS.har);
  await ui.open();
  await ui.chooseSubject('Incidents', incident.title.slice(0, 24), incident.title);
  await ui.chooseRelatedClass('Alerts');
  await ui.pasteIds(alerts.map((a) => a.id).join('\n'));
  await ui.submitButton('Associate').click();
  await ui.waitForBatchDone();
  await page.goto('/history');
  await context.close();

  const har = readFileSync(harPath, 'utf8');
  expect(har.length).toBeGreaterThan(10_000);
  for (const secret of [
    DEMO_SK,
    DEMO_AK,
    'SDK-HMAC-SHA256',
    'X-Subject-Token',
    'X-Sdk-Date',
    'CLOUD_SDK_SK',
  ]) {
    expect(har.toLowerCase(), secret).not.toContain(secret.toLowerCase());
  }
});
