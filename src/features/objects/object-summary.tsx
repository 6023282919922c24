import { Alert, Badge, Button, Group, Paper, Popover, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { ApiError } from '../../api/client';
import { shortId } from '../../api/format';
import { useI18n, useT } from '../../i18n/i18n';
import { ErrorText } from '../../lib/error-text';
import { CopyId } from '../../lib/object-names';
import { SeverityText, StatusText } from '../../lib/secmaster-values';
import { dataclassSingular } from '../../lib/words';
import { type DataclassType, type DataObjectDetail } from '../../api/schemas';
import { classBadgeColors, objectTitle } from './find-object';

const severityColors: Record<string, string> = {
  Fatal: 'red',
  High: 'orange',
  Medium: 'yellow',
  Low: 'blue',
  Tips: 'gray',
};

/** True when SecMaster says the object is not in this workspace (or not of this class). */
export function isObjectNotFound(err: unknown): boolean {
  return err instanceof ApiError && (err.status === 404 || err.code === 'SecMaster.20030005');
}

/**
 * The object's title, or null when it has none worth showing: some SecMaster objects have no title,
 * and the fallbacks end at the ID (a UUID as a heading helps no one).
 */
export function shownTitle(title: string, id: string): string | null {
  return title.trim() === '' || title.trim() === id ? null : title;
}

/**
 * The object page's top: the title as its heading (the short ID when it has none, the full ID one
 * click away), then class, ID, severity, status and times.
 */
export function ObjectSummary({
  dataclass,
  detail,
}: {
  dataclass: DataclassType;
  detail: DataObjectDetail;
}) {
  const { t, f } = useI18n();
  const o = detail.data_object;
  const id = o.id || detail.id;
  const title = shownTitle(objectTitle(detail), id);
  const status = o.handle_status ?? o.status ?? null;
  const created = o.create_time ?? detail.create_time ?? null;
  const updated = o.update_time ?? detail.update_time ?? null;
  const singular = dataclassSingular(dataclass);
  return (
    <Stack gap={6}>
      <Group gap="xs" wrap="nowrap" align="baseline">
        <Badge size="sm" variant="light" color={classBadgeColors[dataclass]}>
          {singular}
        </Badge>
        <Title order={1} size="h3" style={{ wordBreak: 'break-word' }} translate="no">
          {title ?? (
            <Text span inherit ff="monospace" title={id}>
              {shortId(id)}
            </Text>
          )}
        </Title>
        {title === null && <FullId id={id} />}
      </Group>
      <Paper withBorder p="xs" radius="sm">
        <Group component="dl" gap="lg" wrap="wrap" m={0}>
          <Field label={t('objects.fieldId')}>
            <Text span size="xs" ff="monospace" style={{ wordBreak: 'break-all' }} translate="no">
              {id}
            </Text>
          </Field>
          <Field label={t('objects.fieldSeverity')}>
            {o.severity ? (
              <Badge size="xs" variant="light" color={severityColors[o.severity] ?? 'gray'}>
                <SeverityText value={o.severity} />
              </Badge>
            ) : (
              '—'
            )}
          </Field>
          <Field label={t('objects.fieldStatus')}>
            {status ? <StatusText value={status} /> : '—'}
          </Field>
          <Field label={t('objects.fieldCreated')}>{created ? f.dateTime(created) : '—'}</Field>
          <Field label={t('objects.fieldUpdated')}>{updated ? f.dateTime(updated) : '—'}</Field>
        </Group>
      </Paper>
    </Stack>
  );
}

/** A button showing the full ID (to read or copy) of an object whose heading is its short ID. */
function FullId({ id }: { id: string }) {
  const t = useT();
  return (
    <Popover position="bottom-start" withArrow shadow="md" trapFocus returnFocus>
      <Popover.Target>
        <Button size="compact-xs" variant="subtle">
          {t('objects.showFullId')}
        </Button>
      </Popover.Target>
      <Popover.Dropdown>
        <Group gap={4} wrap="nowrap">
          <Text size="sm" ff="monospace" translate="no" style={{ userSelect: 'all' }}>
            {id}
          </Text>
          <CopyId id={id} label="object" />
        </Group>
      </Popover.Dropdown>
    </Popover>
  );
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text component="dt" size="xs" c="dimmed">
        {label}
      </Text>
      <Text component="dd" size="sm" m={0}>
        {children}
      </Text>
    </div>
  );
}

/** What the page says instead when the object could not be read. */
export function ObjectLoadError({
  dataclass,
  objectId,
  error,
}: {
  dataclass: DataclassType;
  objectId: string;
  error: unknown;
}) {
  const t = useT();
  if (isObjectNotFound(error)) {
    return (
      <Alert color="gray" title={t('objects.notFound')} role="alert">
        {t('objects.notFoundText', {
          singular: dataclassSingular(dataclass),
          id: (
            <Text key="id" span ff="monospace" size="sm" translate="no">
              {objectId}
            </Text>
          ),
        })}
      </Alert>
    );
  }
  return (
    <Alert color="red" title={t('objects.loadError')} role="alert">
      <ErrorText error={error} />
    </Alert>
  );
}
