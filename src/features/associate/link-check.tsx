/**
 * The answer of "Check against current links" (POST /api/checks): how many pasted IDs are linked
 * to the subject now, not linked yet, or not found; what each group means for the chosen action;
 * the groups' IDs; and "Keep only…" the IDs the action will change.
 */
import { Button, Group, Stack, Text } from '@mantine/core';
import type { LinkCheck } from '../../api/schemas';
import { TokenList } from './token-list';

function idCount(n: number): string {
  return `${n} ${n === 1 ? 'ID' : 'IDs'}`;
}

/** The answer of a link check: counts, then the IDs linked now and the IDs not found. */
export function LinkCheckResult({
  check,
  ids,
  action,
  onKeep,
}: {
  check: LinkCheck;
  /** The IDs the check was asked about, in paste order. */
  ids: readonly string[];
  action: 'associate' | 'cancel';
  /** Replaces the pasted list with these IDs. */
  onKeep: (ids: string[]) => void;
}) {
  const notLinked = check.checked - check.linked.length - check.not_found.length;
  // The IDs the chosen action would change: not linked yet (associate) or linked now (cancel).
  const linkedSet = new Set(check.linked);
  const missing = new Set(check.not_found);
  const willChange =
    action === 'associate'
      ? ids.filter((id) => !linkedSet.has(id) && !missing.has(id))
      : ids.filter((id) => linkedSet.has(id));
  const wouldDrop = ids.length - willChange.length;
  const at = new Date(check.checked_at);
  // What each group means for the action chosen (SecMaster rejects an ID already in the state asked).
  const linkedNote =
    action === 'associate' ? 'will be rejected: already linked' : 'will be unlinked';
  const notLinkedNote = action === 'associate' ? 'will be linked' : 'will be rejected: not linked';
  return (
    <Stack gap={4} role="region" aria-label="Link check">
      <Text size="sm" role="status" aria-label="Link check summary">
        {check.linked.length} already linked · {notLinked} not linked yet · {check.not_found.length}{' '}
        not found
      </Text>
      <Text size="xs" c="dimmed">
        Checked at {Number.isNaN(at.getTime()) ? check.checked_at : at.toLocaleTimeString()}:{' '}
        {check.linked.length} {linkedNote}, {notLinked} {notLinkedNote}, {check.not_found.length}{' '}
        will be rejected: not found.
      </Text>
      {wouldDrop > 0 && willChange.length > 0 ? (
        <Group>
          <Button variant="light" size="compact-sm" onClick={() => onKeep(willChange)}>
            {action === 'associate'
              ? `Keep only the ${idCount(willChange.length)} not linked yet`
              : `Keep only the ${idCount(willChange.length)} linked now`}
          </Button>
        </Group>
      ) : null}
      <TokenList
        title="Already linked"
        items={check.linked.map((token) => ({ token }))}
        color="blue"
        copyable
      />
      <TokenList
        title="Not found"
        items={check.not_found.map((token) => ({ token }))}
        color="red"
        copyable
      />
    </Stack>
  );
}
