/** The console's main screen, found by role and accessible name. */
import { expect, type Locator, type Page } from '@playwright/test';

export class ConsolePage {
  readonly workspace: Locator;
  readonly subjectClass: Locator;
  readonly subjectObject: Locator;
  readonly relatedClass: Locator;
  readonly relatedIds: Locator;
  readonly reason: Locator;
  readonly results: Locator;
  readonly currentAssociations: Locator;
  readonly progress: Locator;

  constructor(readonly page: Page) {
    this.workspace = page.getByRole('combobox', { name: 'Workspace' });
    this.subjectClass = page.getByLabel('Subject class', { exact: true });
    this.subjectObject = page.getByRole('combobox', { name: 'Subject object' });
    this.relatedClass = page.getByLabel('Related class', { exact: true });
    this.relatedIds = page.getByRole('textbox', { name: 'Related IDs' });
    this.reason = page.getByRole('textbox', { name: 'Reason' });
    this.results = page.getByRole('region', { name: 'Batch results' });
    this.currentAssociations = page.getByRole('region', { name: 'Current associations' });
    this.progress = page.getByRole('progressbar', { name: 'Batch progress' });
  }

  async open() {
    await this.page.goto('/');
    await expect(this.workspace).not.toHaveValue('');
  }

  async chooseSubject(dataclass: string, titleFragment: string, fullTitle: string) {
    await this.subjectClass.selectOption({ label: dataclass });
    await this.subjectObject.fill(titleFragment);
    await this.page
      .getByRole('option', { name: new RegExp(escapeRegExp(fullTitle)) })
      .first()
      .click();
  }

  async chooseRelatedClass(dataclass: string) {
    await this.relatedClass.selectOption({ label: dataclass });
  }

  async pasteIds(text: string) {
    await this.relatedIds.fill(text);
  }

  async chooseAction(action: 'Associate' | 'Cancel association') {
    await this.page
      .getByRole('radiogroup', { name: 'Action' })
      .getByRole('radio', { name: action })
      .check();
  }

  submitButton(action: 'Associate' | 'Cancel association'): Locator {
    const words = action === 'Associate' ? 'Associate' : 'Cancel association of';
    return this.page.getByRole('button', { name: new RegExp(`^${words} \\d+ IDs?`) });
  }

  badge(state: string): Locator {
    return this.results
      .getByRole('list', { name: 'Counts per state' })
      .getByText(new RegExp(`^${state}\\s*\\d`));
  }

  async waitForBatchDone() {
    await expect(this.results.getByRole('button', { name: 'Export CSV' })).toBeVisible();
    await expect(this.progress).toHaveCount(0);
  }

  rowsInResults(): Locator {
    return this.results.getByRole('row');
  }

  async filterByState(label: RegExp | string) {
    await this.results
      .getByRole('radiogroup', { name: 'Filter by state' })
      .getByRole('radio', { name: label })
      .check();
  }

  /** Opens a batch by its URL (the link analysts paste into tickets). */
  async openBatch(batchId: string) {
    await this.page.goto(`/batches/${batchId}`);
    await expect(this.results).toBeVisible();
  }

  batchControl(name: 'Pause batch' | 'Resume batch' | 'Stop batch'): Locator {
    return this.page.getByRole('button', { name, exact: true });
  }

  /** "Stop batch", then confirms in the dialog. */
  async stopBatch() {
    await this.batchControl('Stop batch').click();
    const dialog = this.page.getByRole('dialog');
    await expect(dialog).toBeVisible();
    await dialog.getByRole('button', { name: 'Confirm stop' }).click();
    await expect(dialog).toHaveCount(0);
  }

  /** The batch shown now, from the page's URL (`/batches/{id}`). */
  batchId(): string {
    const m = /\/batches\/([0-9a-f-]{36})$/.exec(new URL(this.page.url()).pathname);
    if (!m?.[1]) throw new Error(`not on a batch page: ${this.page.url()}`);
    return m[1];
  }

  /** "Retry failed": opens the dialog and waits for it to say what the retry includes. */
  async openRetryDialog(): Promise<Locator> {
    await this.results.getByRole('button', { name: 'Retry failed' }).click();
    const dialog = this.page.getByRole('dialog', { name: 'Retry failed IDs' });
    await expect(dialog.getByText(/^The retry includes /)).toBeVisible();
    return dialog;
  }

  /** "Undo batch": opens the dialog and waits for its preview (checked against the links). */
  async openUndoDialog(): Promise<Locator> {
    await this.results.getByRole('button', { name: 'Undo batch' }).click();
    const dialog = this.page.getByRole('dialog', { name: 'Undo this batch?' });
    await expect(dialog.getByText(/^Checked /)).toBeVisible();
    return dialog;
  }

  /** "Undo batch": waits for the preview to say what will happen, then confirms. */
  async undoBatch(expectedPreview: string | RegExp) {
    await this.results.getByRole('button', { name: 'Undo batch' }).click();
    const dialog = this.page.getByRole('dialog');
    await expect(dialog.getByText(expectedPreview)).toBeVisible();
    await dialog.getByRole('button', { name: 'Confirm undo' }).click();
    await expect(dialog).toHaveCount(0);
  }

  async openHistory() {
    await this.page.getByRole('link', { name: 'History' }).click();
    await expect(this.page.getByRole('table', { name: 'Batches' })).toBeVisible();
  }

  async confirmCancel() {
    const dialog = this.page.getByRole('dialog');
    await expect(dialog).toBeVisible();
    await dialog.getByRole('button', { name: 'Confirm cancel association' }).click();
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
