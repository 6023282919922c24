import { Alert, Badge, Group, Paper, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { ApiError, describeError } from '../../api/client';
import { formatLocalDateTime } from '../../api/format';
import { dataclassLabels, type DataclassType, type DataObjectDetail } from '../../api/schemas';
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

/** The object page's top: the title as its heading, then class, ID, severity, status and times. */
export function ObjectSummary({
  dataclass,
  detail,
}: {
  dataclass: DataclassType;
  detail: DataObjectDetail;
}) {
  const o = detail.data_object;
  const status = o.handle_status ?? o.status ?? null;
  const created = o.create_time ?? detail.create_time ?? null;
  const updated = o.update_time ?? detail.update_time ?? null;
  const singular = dataclassLabels[dataclass].singular;
  return (
    <Stack gap={6}>
      <Group gap="xs" wrap="nowrap" align="baseline">
        <Badge size="sm" variant="light" color={classBadgeColors[dataclass]}>
          {singular}
        </Badge>
        <Title order={1} size="h3" style={{ wordBreak: 'break-word' }}>
          {objectTitle(detail)}
        </Title>
      </Group>
      <Paper withBorder p="xs" radius="sm">
        <Group component="dl" gap="lg" wrap="wrap" m={0}>
          <Field label="ID">
            <Text span size="xs" ff="monospace" style={{ wordBreak: 'break-all' }}>
              {detail.data_object.id || detail.id}
            </Text>
          </Field>
          <Field label="Severity">
            {o.severity ? (
              <Badge size="xs" variant="light" color={severityColors[o.severity] ?? 'gray'}>
                {o.severity}
              </Badge>
            ) : (
              '—'
            )}
          </Field>
          <Field label="Status">{status ?? '—'}</Field>
          <Field label="Created">{created ? formatLocalDateTime(created) : '—'}</Field>
          <Field label="Updated">{updated ? formatLocalDateTime(updated) : '—'}</Field>
        </Group>
      </Paper>
    </Stack>
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
  if (isObjectNotFound(error)) {
    return (
      <Alert color="gray" title="Not found" role="alert">
        No {dataclassLabels[dataclass].singular} with ID{' '}
        <Text span ff="monospace" size="sm">
          {objectId}
        </Text>{' '}
        in this workspace.
      </Alert>
    );
  }
  return (
    <Alert color="red" title="The object could not be loaded" role="alert">
      {describeError(error)}
    </Alert>
  );
}
