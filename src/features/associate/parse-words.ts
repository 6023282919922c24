/**
 * The parse's result in words of the current language (parse-ids.ts gives codes: it runs in a
 * worker and knows no language). Called at render.
 */
import { createElement, type ReactNode } from 'react';
import { t } from '../../i18n/i18n';
import type { IssueReason, ParseResult, TableInfo } from './parse-ids';

/** "N valid · D duplicates · X invalid" (plus "· I ignored" when any). */
export function formatSummary(
  r: Pick<ParseResult, 'valid' | 'duplicates' | 'invalid' | 'ignored'>,
): string {
  return t('associate.pasteSummary', {
    valid: r.valid.length,
    duplicates: r.duplicates,
    invalid: r.invalid.length,
    ignored: r.ignored.length,
  });
}

/** What was left out, for the muted line under the summary, or null. */
export function formatSkipped(
  r: Pick<ParseResult, 'skippedWords' | 'skippedValues'>,
): string | null {
  const parts: string[] = [];
  if (r.skippedWords > 0) parts.push(t('associate.skippedWords', { count: r.skippedWords }));
  if (r.skippedValues > 0) parts.push(t('associate.skippedValues', { count: r.skippedValues }));
  return parts.length > 0 ? t('associate.skipped', { parts }) : null;
}

/** Data inside a message (a key path, a column's header): not translated. */
const data = (text: string) => createElement('span', { translate: 'no', key: 'data' }, text);

/** Why a token is invalid or ignored. */
export function issueText(reason: IssueReason): ReactNode {
  switch (reason.code) {
    case 'notHexDigit':
      return t('associate.issueNotHexDigit', { char: reason.char });
    case 'uuidGroups':
      return t('associate.issueUuidGroups', { groups: reason.groups });
    case 'shorterThan':
      return t('associate.issueShorterThan', { min: reason.min });
    case 'longerThan':
      return t('associate.issueLongerThan', { max: reason.max });
    case 'tooLong':
      return t('associate.issueTooLong');
    case 'forbiddenCharacter':
      return t('associate.issueForbiddenCharacter');
    case 'subjectObject':
      return t('associate.issueSubjectObject');
    case 'currentWorkspace':
      return t('associate.issueCurrentWorkspace');
    case 'projectId':
      return t('associate.issueProjectId');
    case 'notRelated':
      return t('associate.issueNotRelated', { path: data(reason.path) });
    case 'unreadRow':
      return t('associate.issueUnreadRow', {
        cells: reason.cells,
        headerCells: reason.headerCells,
      });
  }
}

/**
 * How a column of a pasted table is named: its header (data, not translated), `column N` when
 * empty, `header (column N)` when other columns share the header.
 */
export function columnLabel(table: Pick<TableInfo, 'header'>, index: number): ReactNode {
  const name = table.header[index] ?? '';
  if (name === '') return t('associate.columnN', { n: index + 1 });
  const shared = table.header.some((h, i) => i !== index && h === name);
  return shared ? t('associate.sharedColumn', { name: data(name), n: index + 1 }) : data(name);
}
