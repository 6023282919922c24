/**
 * The list behind the header's "Running batches" button (its own chunk): each running or paused
 * batch or move with its progress and a link to its page, and the browser-notification choice.
 */
import { Anchor, Badge, Checkbox, Group, Progress, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { useT } from '../../i18n/i18n';
import { batchStateColors } from '../../lib/batch-states';
import { paths } from '../../lib/paths';
import { batchStateWord } from '../../lib/words';
import { browserNoticesOn, browserNoticesSupported, setBrowserNotices } from './browser-notices';
import { workNoun, workPercent, workTitle, type WorkRow } from './work-words';

export default function RunningList({
  rows,
  count,
  onOpen,
}: {
  rows: readonly WorkRow[];
  count: number;
  /** Called when a link is followed (the list closes). */
  onOpen: () => void;
}) {
  const t = useT();
  return (
    <Stack gap="sm">
      <Stack
        gap="xs"
        component="ul"
        className="running-list"
        style={{ listStyle: 'none', padding: 0, margin: 0 }}
      >
        {rows.map((row) => {
          const title = workTitle(row);
          const percent = workPercent(row);
          return (
            <Stack gap={4} component="li" key={row.id}>
              <Group gap="xs" justify="space-between" wrap="nowrap">
                <Anchor
                  component={Link}
                  to={workNoun(row) === 'move' ? paths.move(row.id) : paths.batch(row.id)}
                  size="sm"
                  onClick={onOpen}
                >
                  {title}
                </Anchor>
                <Badge size="sm" variant="light" color={batchStateColors[row.state]}>
                  {batchStateWord(row.state)}
                </Badge>
              </Group>
              <Progress value={percent} size="sm" aria-label={t('panels.progressOf', { title })} />
              <Text size="xs" c="dimmed">
                {t('panels.percentOfIds', { percent, total: row.total })}
              </Text>
            </Stack>
          );
        })}
      </Stack>
      {count > rows.length && (
        <Text size="xs" c="dimmed">
          {t('panels.moreIn', {
            count: count - rows.length,
            history: (
              <Anchor
                key="history"
                component={Link}
                to={paths.history()}
                size="xs"
                onClick={onOpen}
              >
                {t('shell.navHistory')}
              </Anchor>
            ),
          })}
        </Text>
      )}
      <BrowserNoticeChoice />
    </Stack>
  );
}

function BrowserNoticeChoice() {
  const t = useT();
  const [on, setOn] = useState(browserNoticesOn);
  const [refused, setRefused] = useState(false);
  if (!browserNoticesSupported()) return null;
  return (
    <Stack gap={2}>
      <Checkbox
        size="xs"
        label={t('panels.browserNotices')}
        checked={on}
        onChange={(e) => {
          const want = e.currentTarget.checked;
          void setBrowserNotices(want).then((now) => {
            setOn(now);
            setRefused(want && !now);
          });
        }}
      />
      {refused && (
        <Text size="xs" c="dimmed" role="status">
          {t('panels.browserRefused')}
        </Text>
      )}
    </Stack>
  );
}
