/** The sign-in form shown instead of the console when sign-in is enabled. */
import { expect, type Locator, type Page } from '@playwright/test';

export class SignInPage {
  readonly heading: Locator;
  readonly accessToken: Locator;
  readonly userName: Locator;
  readonly password: Locator;
  readonly account: Locator;
  readonly region: Locator;
  readonly signInButton: Locator;
  readonly signOutButton: Locator;
  readonly failure: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { name: 'Sign in', exact: true });
    // Password-type inputs have no textbox role: found by their label.
    this.accessToken = page.getByLabel('Access token', { exact: true });
    this.userName = page.getByRole('textbox', { name: 'User name' });
    this.password = page.getByLabel('Password', { exact: true });
    this.account = page.getByRole('textbox', { name: 'Account' });
    this.region = page.getByRole('textbox', { name: 'Region' });
    this.signInButton = page.getByRole('button', { name: 'Sign in', exact: true });
    this.signOutButton = page.getByRole('banner').getByRole('button', { name: 'Sign out' });
    this.failure = page.getByRole('alert').filter({ hasText: 'Sign-in failed' });
  }

  async expectShown() {
    await expect(this.heading).toBeVisible();
    await expect(this.signInButton).toBeVisible();
  }

  async signInWithToken(token: string) {
    await this.accessToken.fill(token);
    await this.signInButton.click();
  }

  async signInAsIamUser(user: {
    account: string;
    name: string;
    password: string;
    region?: string;
  }) {
    // The tabs exist only when both methods are offered.
    const tab = this.page.getByRole('tab', { name: 'IAM user' });
    await expect(this.signInButton).toBeVisible();
    if ((await tab.count()) > 0) await tab.click();
    await this.account.fill(user.account);
    await this.userName.fill(user.name);
    await this.password.fill(user.password);
    if (user.region) await this.region.fill(user.region);
    await this.signInButton.click();
  }

  async signOut() {
    await this.signOutButton.click();
    await this.expectShown();
  }
}
