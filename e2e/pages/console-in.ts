/**
 * The console's main screen in either language: controls found by role and by the catalog key
 * they are named from (e2e/support/i18n.ts), so one spec drives it in English and in Chinese; and
 * the checks of every page and dialog (e2e/support/checks.ts) in that language.
 */
import { expect, type Locator, type Page } from '@playwright/test';
import type { Catalog, MessageKey } from '../../src/i18n/catalogs/en';
import type { Language } from '../../src/i18n/languages';
import type { ParamsOf } from '../../src/i18n/messages';
import { checkDialog, checkPage } from '../support/checks';
import type { SeedObject } from '../support/emulator-client';
import { textOf, wordsOf } from '../support/i18n';

/** Stands for a part of a message that is data (a title): any text there (see `named`). */
export const ANY = '\u0000';

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The whole text, with each ANY standing for some text. */
export function named(text: string): RegExp {
  return new RegExp(`^${text.split(ANY).map(escapeRegExp).join('.+')}$`);
}

export class ConsoleIn {
  /** The message `key` as this console shows it (plain strings). */
  readonly w: ReturnType<typeof wordsOf>;
  readonly workspace: Locator;
  readonly subjectClass: Locator;
  readonly subjectObject: Locator;
  readonly relatedClass: Locator;
  readonly relatedIds: Locator;
  readonly results: Locator;
  readonly currentAssociations: Locator;
  readonly progress: Locator;
  readonly nav: Locator;

  constructor(
    readonly page: Page,
    readonly language: Language,
  ) {
    const w = wordsOf(language);
    this.w = w;
    this.workspace = page.getByRole('combobox', { name: w('shell.workspace') });
    this.subjectClass = page.getByLabel(w('associate.subjectClass'), { exact: true });
    this.subjectObject = page.getByRole('combobox', {
      name: w('common.subjectObject'),
      exact: true,
    });
    this.relatedClass = page.getByLabel(w('associate.relatedClass'), { exact: true });
    this.relatedIds = page.getByRole('textbox', { name: w('associate.relatedIds') });
    this.results = page.getByRole('region', { name: w('batches.results') });
    this.currentAssociations = page.getByRole('region', { name: w('relations.title') });
    this.progress = page.getByRole('progressbar', { name: w('batches.progressLabel') });
    this.nav = page.getByRole('navigation', { name: w('shell.mainNav') });
  }

  /** A message made of parts (a button naming a title), as the page reads it. */
  text<K extends MessageKey>(key: K, ...params: ParamsOf<Catalog[K]>): string {
    return textOf(this.language, key, ...params);
  }

  async open() {
    await this.page.goto('/');
    await expect(this.workspace).not.toHaveValue('');
  }

  /** An incident as the subject, alerts as the related class. */
  async chooseIncident(incident: SeedObject) {
    await this.subjectClass.selectOption({ label: this.w('common.incidentsLabel') });
    await this.subjectObject.fill(incident.title.slice(0, 24));
    await this.page
      .getByRole('option', { name: new RegExp(escapeRegExp(incident.title)) })
      .first()
      .click();
    await this.relatedClass.selectOption({ label: this.w('common.alertsLabel') });
  }

  async chooseAction(action: 'common.actionAssociate' | 'common.actionCancel') {
    await this.page
      .getByRole('radiogroup', { name: this.w('associate.action') })
      .getByRole('radio', { name: this.w(action), exact: true })
      .check();
  }

  /** The form's submit button for `count` valid IDs and an incident as the subject. */
  submit(action: 'associate' | 'cancel', count: number): Locator {
    const params = {
      what: this.w('common.idCount', { count }),
      singular: this.w('common.incidentWord'),
      subject: ANY,
    };
    const name =
      action === 'associate'
        ? this.text('associate.submitAssociateWith', params)
        : this.text('associate.submitCancelWith', params);
    return this.page.getByRole('button', { name: named(name) });
  }

  /** The count of one state in the results ("Failed 2"). */
  badge(state: MessageKey, count: number): Locator {
    return this.results
      .getByRole('list', { name: this.w('batches.countsPerState') })
      .getByText(new RegExp(`^${escapeRegExp(this.w(state))}\\s*${count}$`));
  }

  async filterByState(state: MessageKey) {
    await this.results
      .getByRole('radiogroup', { name: this.w('batches.filterByState') })
      .getByRole('radio', { name: new RegExp(`^${escapeRegExp(this.w(state))}`) })
      .check();
  }

  async waitForBatchDone() {
    await expect(
      this.results.getByRole('button', { name: this.w('batches.exportCsv') }),
    ).toBeVisible();
    await expect(this.progress).toHaveCount(0);
  }

  /** The batch shown now, from the page's URL (`/batches/{id}`). */
  batchId(): string {
    const m = /\/batches\/([0-9a-f-]{36})$/.exec(new URL(this.page.url()).pathname);
    if (!m?.[1]) throw new Error(`not on a batch page: ${this.page.url()}`);
    return m[1];
  }

  /** The dialog named by `key`'s message. */
  dialog(key: MessageKey): Locator {
    return this.page.getByRole('dialog', { name: this.w(key) });
  }

  /** Closes `dialog` with its button named by `key` (Back, Cancel), which does nothing. */
  closeWith(key: MessageKey): (dialog: Locator) => Promise<void> {
    return (dialog) => dialog.getByRole('button', { name: this.w(key), exact: true }).click();
  }

  /** No English left (in Chinese), axe-clean in light and dark (checks.ts). */
  check(what: string): Promise<void> {
    return checkPage(this.page, this.language, what);
  }

  /** The same for a dialog opened by `open` and closed by `close`, once per scheme. */
  checkDialog(
    what: string,
    open: () => Promise<Locator>,
    close: (dialog: Locator) => Promise<void>,
  ): Promise<void> {
    return checkDialog(this.page, this.language, what, open, close);
  }
}
