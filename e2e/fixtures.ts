import { test as base, expect } from '@playwright/test';
import { ConsolePage } from './pages/console-page';
import { EmulatorClient } from './support/emulator-client';

export const test = base.extend<{ consolePage: ConsolePage; emulator: EmulatorClient }>({
  consolePage: async ({ page }, use) => {
    // A page that throws or violates the CSP is a failed test.
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) {
        problems.push(`CSP: ${msg.text()}`);
      }
    });
    await use(new ConsolePage(page));
    expect(problems, problems.join('\n')).toEqual([]);
  },
  emulator: async ({ request, baseURL }, use) => {
    await use(new EmulatorClient(request, baseURL ?? 'http://127.0.0.1:8180'));
  },
});

export { expect };
