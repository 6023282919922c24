/**
 * The answer of "Check against current links" (POST /api/checks): how many pasted IDs are linked
 * to the subject now, not linked yet, or not found; what each group means for the chosen action;
 * the groups' IDs; and "Keep only…" the IDs the action will change.
 */
import { Button, Group, Stack, Text } from '@mantine/core';
import { useMemo, type Ref } from 'react';
import type { LinkCheck } from '../../api/schemas';
import { t as translate, useI18n } from '../../i18n/i18n';
import { idCount } from '../../lib/words';
import { TokenList } from './token-list';

/** "N already linked · M not linked yet · K not found" (the form's live status line). */
export function linkCheckSummary(check: LinkCheck): string {
  const notLinked = check.checked - check.linked.length - check.not_found.length;
  return translate('associate.checkSummary', {
    linked: check.linked.length,
    notLinked,
    notFound: check.not_found.length,
  });
}

/** Whether two ID lists are the same, element by element (identity first: the usual case). */
export function sameIds(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The details of a link check under the form's status line. */
export function LinkCheckResult({
  ref,
  check,
  ids,
  action,
  onKeep,
}: {
  /** The answer's region, focusable (tabIndex -1): the form moves focus to it when it arrives. */
  ref?: Ref<HTMLDivElement>;
  check: LinkCheck;
  /** The IDs the check was asked about, in paste order. */
  ids: readonly string[];
  action: 'associate' | 'cancel';
  /** Replaces the pasted list with these IDs. */
  onKeep: (ids: string[]) => void;
}) {
  const { t, language } = useI18n();
  const notLinked = check.checked - check.linked.length - check.not_found.length;
  // The IDs the chosen action would change: not linked yet (associate) or linked now (cancel).
  // Memoized: up to 100,000 IDs, and the form re-renders for other reasons.
  const willChange = useMemo(() => {
    const linked = new Set(check.linked);
    const missing = new Set(check.not_found);
    return action === 'associate'
      ? ids.filter((id) => !linked.has(id) && !missing.has(id))
      : ids.filter((id) => linked.has(id));
  }, [check, ids, action]);
  const linkedItems = useMemo(() => check.linked.map((token) => ({ token })), [check]);
  const missingItems = useMemo(() => check.not_found.map((token) => ({ token })), [check]);
  const at = new Date(check.checked_at);
  // SecMaster reports an ID already in the state asked for as succeeded (the calls are
  // idempotent): such IDs change nothing; IDs it cannot find fail. The time in the browser's own
  // form in English (as before), in the chosen language's otherwise.
  const time = Number.isNaN(at.getTime())
    ? check.checked_at
    : at.toLocaleTimeString(language === 'en' ? undefined : language);
  const alreadyLinked = t('associate.alreadyLinked');
  const notFound = t('associate.notFound');
  return (
    <Stack ref={ref} tabIndex={-1} gap={4} role="region" aria-label={t('associate.checkRegion')}>
      <Text size="xs" c="dimmed">
        {t('associate.checkedAt', {
          at: time,
          linked: check.linked.length,
          notLinked,
          notFound: check.not_found.length,
          action,
        })}
      </Text>
      {willChange.length > 0 && willChange.length < ids.length ? (
        <Group>
          <Button variant="light" size="compact-sm" onClick={() => onKeep(willChange)}>
            {action === 'associate'
              ? t('associate.keepNotLinked', { what: idCount(willChange.length) })
              : t('associate.keepLinked', { what: idCount(willChange.length) })}
          </Button>
        </Group>
      ) : null}
      <TokenList title={alreadyLinked} items={linkedItems} color="blue" copyable />
      <TokenList title={notFound} items={missingItems} color="red" copyable />
    </Stack>
  );
}
