import { Alert, Anchor, Badge, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { Link } from 'react-router';
import { describeError } from '../../api/client';
import { formatCount, formatLocalDateTime, shortId } from '../../api/format';
import { batchStateLabels, batchStateSchema } from '../../api/schemas';
import { batchStateColors } from '../../lib/batch-states';
import { paths } from '../../lib/paths';
import { objectsQueries, TOUCHING_LIMIT, type TouchingBatch } from './queries';

function what(b: TouchingBatch): string {
  if (b.kind === 'move') return 'Move';
  const action = b.action === 'cancel' ? 'Cancel association' : 'Associate';
  return b.kind === 'pairs' ? `${action} (pairs)` : action;
}

/**
 * The region "Batches on this object": the latest batches (and moves, batches of pairs) that
 * touched the ID, as an item, a subject or a move's destination; "All in history" lists them all.
 */
export function TouchingBatches({ objectId }: { objectId: string }) {
  const headingId = useId();
  const list = useQuery(objectsQueries.touching(objectId));
  const rows = list.data?.items ?? [];
  const total = list.data?.total ?? 0;
  return (
    <Paper component="section" aria-labelledby={headingId} withBorder p="xs">
      <Stack gap="xs">
        <Group justify="space-between" gap="xs">
          <Title order={2} size="h5" id={headingId}>
            Batches on this object
          </Title>
          <Group gap="sm">
            {total > TOUCHING_LIMIT && (
              <Text size="xs" c="dimmed">
                latest {TOUCHING_LIMIT} of {formatCount(total)}
              </Text>
            )}
            <Anchor component={Link} to={paths.historyTouching(objectId)} size="xs">
              All in history
            </Anchor>
          </Group>
        </Group>
        {list.error && (
          <Alert color="red" p="xs" title="The batches could not be loaded">
            {describeError(list.error)}
          </Alert>
        )}
        {list.isPending && (
          <Text size="xs" c="dimmed">
            Loading…
          </Text>
        )}
        {list.isSuccess && rows.length === 0 && (
          <Text size="sm" c="dimmed">
            No batch has touched this object.
          </Text>
        )}
        {rows.length > 0 && (
          <Table.ScrollContainer minWidth={560}>
            <Table
              striped
              verticalSpacing={4}
              horizontalSpacing="xs"
              fz="xs"
              aria-label="Batches that touched this object"
            >
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Batch</Table.Th>
                  <Table.Th>When</Table.Th>
                  <Table.Th>What</Table.Th>
                  <Table.Th>Subject</Table.Th>
                  <Table.Th ta="right">IDs</Table.Th>
                  <Table.Th>State</Table.Th>
                  <Table.Th>Who</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((b) => {
                  const state = batchStateSchema.safeParse(b.state);
                  return (
                    <Table.Tr key={b.id}>
                      <Table.Td>
                        {/* TODO(coordinator): a move opens /moves/{id} once paths.move exists. */}
                        <Anchor
                          component={Link}
                          to={paths.batch(b.id)}
                          size="xs"
                          ff="monospace"
                          aria-label={`Open batch ${b.id}`}
                          title={b.id}
                        >
                          {shortId(b.id)}
                        </Anchor>
                      </Table.Td>
                      <Table.Td>{formatLocalDateTime(b.created_at)}</Table.Td>
                      <Table.Td>{what(b)}</Table.Td>
                      <Table.Td>
                        <Text span ff="monospace" size="xs" title={b.data_object_id ?? ''}>
                          {b.data_object_id ? shortId(b.data_object_id) : '—'}
                        </Text>
                      </Table.Td>
                      <Table.Td ta="right">{b.total == null ? '' : formatCount(b.total)}</Table.Td>
                      <Table.Td>
                        {state.success ? (
                          <Badge size="xs" variant="light" color={batchStateColors[state.data]}>
                            {batchStateLabels[state.data]}
                          </Badge>
                        ) : (
                          b.state
                        )}
                      </Table.Td>
                      <Table.Td>{b.user ?? ''}</Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Stack>
    </Paper>
  );
}
