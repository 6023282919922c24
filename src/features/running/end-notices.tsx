/**
 * The notices of work that ended (loaded once something has ended): an in-app notification with
 * the outcome and a link, and a browser notification when the analyst turned them on and the tab
 * is hidden.
 */
import { Anchor, Stack, Text } from '@mantine/core';
import { Notifications, notifications } from '@mantine/notifications';
import '@mantine/notifications/styles.css';
import { useEffect, useRef } from 'react';
import { Link, useNavigate } from 'react-router';
import { t } from '../../i18n/i18n';
import { paths } from '../../lib/paths';
import { showBrowserNotice } from './browser-notices';
import { workOutcome } from './outcome';
import type { EndedWork } from './use-active-work';
import { workNoun, workTitle } from './work-words';

/** A clean end goes away by itself; one that needs a look stays until it is closed. */
const CLEAN_END_MS = 20_000;

export default function EndNotices({ ended }: { ended: readonly EndedWork[] }) {
  const navigate = useNavigate();
  const shown = useRef(new Set<string>());
  useEffect(() => {
    for (const end of ended) {
      if (shown.current.has(end.key)) continue;
      shown.current.add(end.key);
      const noun = workNoun(end.row);
      const outcome = workOutcome(end.row);
      const to = noun === 'move' ? paths.move(end.row.id) : paths.batch(end.row.id);
      const title = t('panels.endTitle', { title: workTitle(end.row), state: outcome.state });
      const id = `ended-${end.key}`;
      notifications.show({
        id,
        title,
        color: outcome.color,
        autoClose: outcome.color === 'green' ? CLEAN_END_MS : false,
        closeButtonProps: { 'aria-label': t('panels.closeNotice') },
        message: (
          <Stack gap={2}>
            {/* The body's colour: the notification's dimmed description colour is below AA. */}
            <Text size="sm" c="var(--mantine-color-text)">
              {outcome.summary}
            </Text>
            <Anchor component={Link} to={to} size="sm" onClick={() => notifications.hide(id)}>
              {noun === 'move' ? t('panels.openMove') : t('panels.openBatch')}
            </Anchor>
          </Stack>
        ),
      });
      showBrowserNotice(title, outcome.summary, end.key, () => void navigate(to));
    }
  }, [ended, navigate]);
  return <Notifications position="bottom-right" limit={5} />;
}
