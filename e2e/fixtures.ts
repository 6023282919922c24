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
    // Every violation the browser reports, including ones that print nothing to the console.
    await page.addInitScript(() => {
      const seen: string[] = [];
      Object.defineProperty(window, '__cspViolations', { value: seen });
      document.addEventListener('securitypolicyviolation', (e) =>
        seen.push(
          `${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}:${e.columnNumber}`,
        ),
      );
    });
    await use(new ConsolePage(page));
    if (!page.isClosed()) {
      const violations = await page.evaluate(
        () => (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? [],
      );
      problems.push(...violations.map((v) => `CSP violation: ${v}`));
    }
    expect(problems, problems.join('\n')).toEqual([]);
  },
  emulator: async ({ request, baseURL }, use) => {
    await use(new EmulatorClient(request, baseURL ?? 'http://127.0.0.1:8180'));
  },
});

export { expect };
