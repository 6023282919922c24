/**
 * The header's running work: a button "Running batches" with the count, visible while any batch or
 * move runs (or is paused), opening the list with progress and links; the tab title with the
 * progress; and a notice when work ends. Only the button is on the first page: the list and the
 * notices load when they are needed.
 */
import { ensurePart } from '../../i18n/load';
import { Badge, Button, Loader, Popover } from '@mantine/core';
import { lazy, Suspense, useEffect, useState } from 'react';
import { matchPath, useLocation } from 'react-router';
import { formatCount } from '../../api/format';
import { t, useT } from '../../i18n/i18n';
import { routes } from '../../lib/paths';
import classes from './running-work.module.css';
import { useActiveWork } from './use-active-work';
import { tabTitle, type WorkRow } from './work-words';

// The list's words are in the catalog's lazily loaded part: they load with it.
const loadList = () =>
  Promise.all([import('./running-list'), ensurePart('features')]).then(([m]) => m);
const RunningList = lazy(loadList);
const EndNotices = lazy(() =>
  Promise.all([import('./end-notices'), ensurePart('features')]).then(([m]) => m),
);

/** The batch or move the page shows, if any. */
function usePageWorkId(): string | null {
  const { pathname } = useLocation();
  const batch = matchPath(routes.batch, pathname);
  const move = matchPath(routes.move, pathname);
  return batch?.params.batchId ?? move?.params.moveId ?? null;
}

/**
 * Keeps the tab's title on the running work's progress; puts the console's own title back after
 * (in the current language: the shell sets the same title, which a switch of language changes).
 */
function useProgressTitle(rows: readonly WorkRow[]) {
  const pageId = usePageWorkId();
  const base = t('shell.appTitle');
  const title = tabTitle(rows, pageId, base);
  useEffect(() => {
    document.title = title;
  }, [title]);
  useEffect(() => () => void (document.title = base), [base]);
}

export function RunningWork({ enabled }: { enabled: boolean }) {
  const t = useT();
  const work = useActiveWork(enabled);
  const [opened, setOpened] = useState(false);
  useProgressTitle(work.rows);
  const visible = enabled && work.count > 0;
  // A list that closed with its last batch opens closed next time.
  if (opened && !visible) setOpened(false);
  useEffect(() => {
    if (visible) void loadList();
  }, [visible]);

  return (
    <>
      {visible && (
        <Popover
          opened={opened}
          onChange={setOpened}
          onClose={() => setOpened(false)}
          position="bottom-end"
          width={340}
          shadow="md"
          trapFocus
          returnFocus
        >
          <Popover.Target>
            <Button
              variant="default"
              size="xs"
              onClick={() => setOpened((o) => !o)}
              className={classes.button}
            >
              {/* One inline run, so that its name reads "Running batches 2" (a narrow bar shows
                  "Running 2"; the hidden word stays in the name). */}
              <span>
                {t('running.button', {
                  words: (
                    <span key="words" className={classes.words}>
                      {t('running.buttonWords')}
                    </span>
                  ),
                })}{' '}
                <Badge size="sm" circle component="span" className={classes.count}>
                  {formatCount(work.count)}
                </Badge>
              </span>
            </Button>
          </Popover.Target>
          <Popover.Dropdown className={classes.dropdown}>
            <Suspense
              fallback={<Loader size="xs" role="status" aria-label={t('running.loadingList')} />}
            >
              <RunningList rows={work.rows} count={work.count} onOpen={() => setOpened(false)} />
            </Suspense>
          </Popover.Dropdown>
        </Popover>
      )}
      {work.ended.length > 0 && (
        <Suspense fallback={null}>
          <EndNotices ended={work.ended} />
        </Suspense>
      )}
    </>
  );
}
