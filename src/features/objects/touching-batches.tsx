import { Alert, Anchor, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { Link } from 'react-router';
import { useT } from '../../i18n/i18n';
import { formatCount } from '../../api/format';
import { dataclassTypeSchema } from '../../api/schemas';
import { ErrorText } from '../../lib/error-text';
import { ObjectLink, type TitleOf } from '../../lib/object-names';
import { paths } from '../../lib/paths';
import { RunLink, RunState, RunWhen, runWhat, useNow, useSubjectTitles } from '../../lib/run-rows';
import { objectsQueries, TOUCHING_LIMIT, type TouchingBatch } from './queries';

/**
 * The region "Batches on this object": the latest batches (and moves, batches of pairs) that
 * touched the ID, as an item, a subject or a move's destination; "All in history" lists them all.
 */
export function TouchingBatches({ objectId }: { objectId: string }) {
  const t = useT();
  const headingId = useId();
  const list = useQuery(objectsQueries.touching(objectId));
  const rows = list.data?.items ?? [];
  const total = list.data?.total ?? 0;
  const titleOf = useSubjectTitles(rows);
  const now = useNow();
  return (
    <Paper component="section" aria-labelledby={headingId} withBorder p="xs">
      <Stack gap="xs">
        <Group justify="space-between" gap="xs">
          <Title order={2} size="h5" id={headingId}>
            {t('objects.touchingHeading')}
          </Title>
          <Group gap="sm">
            {total > TOUCHING_LIMIT && (
              <Text size="xs" c="dimmed">
                {t('objects.touchingLatest', { limit: TOUCHING_LIMIT, total })}
              </Text>
            )}
            <Anchor component={Link} to={paths.historyTouching(objectId)} size="xs">
              {t('objects.allInHistory')}
            </Anchor>
          </Group>
        </Group>
        {list.error && (
          <Alert color="red" p="xs" title={t('objects.touchingLoadError')}>
            <ErrorText error={list.error} />
          </Alert>
        )}
        {list.isPending && (
          <Text size="xs" c="dimmed">
            {t('objects.loading')}
          </Text>
        )}
        {list.isSuccess && rows.length === 0 && (
          <Text size="sm" c="dimmed">
            {t('objects.touchingNone')}
          </Text>
        )}
        {rows.length > 0 && (
          <Table.ScrollContainer minWidth={560}>
            <Table
              striped
              verticalSpacing={4}
              horizontalSpacing="xs"
              fz="xs"
              aria-label={t('objects.touchingTable')}
            >
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('objects.colBatch')}</Table.Th>
                  <Table.Th>{t('objects.colWhen')}</Table.Th>
                  <Table.Th>{t('objects.colWhat')}</Table.Th>
                  <Table.Th>{t('objects.colSubject')}</Table.Th>
                  <Table.Th ta="right">{t('objects.colIds')}</Table.Th>
                  <Table.Th>{t('objects.colState')}</Table.Th>
                  <Table.Th>{t('objects.colWho')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((b) => (
                  <Table.Tr key={b.id}>
                    <Table.Td>
                      <RunLink kind={b.kind} id={b.id} />
                    </Table.Td>
                    <Table.Td>
                      <RunWhen iso={b.created_at} now={now} />
                    </Table.Td>
                    <Table.Td>{runWhat(b.kind, b.action)}</Table.Td>
                    <Table.Td>
                      <SubjectCell batch={b} titleOf={titleOf} />
                    </Table.Td>
                    <Table.Td ta="right">{b.total == null ? '' : formatCount(b.total)}</Table.Td>
                    <Table.Td>
                      <RunState state={b.state} />
                    </Table.Td>
                    <Table.Td translate="no">{b.user ?? ''}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Stack>
    </Paper>
  );
}

/** The line's subject by its title (its ID while the title is unknown), or "—". */
function SubjectCell({ batch: b, titleOf }: { batch: TouchingBatch; titleOf: TitleOf }) {
  const dataclass = dataclassTypeSchema.safeParse(b.dataclass_type);
  if (!b.data_object_id || !dataclass.success || typeof b.workspace_id !== 'string') {
    return (
      <Text span ff="monospace" size="xs" title={b.data_object_id ?? ''} translate="no">
        {b.data_object_id ?? '—'}
      </Text>
    );
  }
  return (
    <ObjectLink
      dataclass={dataclass.data}
      id={b.data_object_id}
      title={titleOf(b.workspace_id, dataclass.data, b.data_object_id)}
      size="xs"
    />
  );
}
