import type { ReactNode } from 'react';
import type { Formatters } from '../../../format';
import type { Messages } from '../../../messages';

type Count = { count: number };
const n = (count: number, f: Formatters) => f.number(count);

export const running = {
  // The header's button: "Running batches 2"; a narrow bar hides `words` (it stays in the name).
  'running.button': ({ words }: { words: ReactNode }) => ['Running ', words],
  'running.buttonWords': 'batches',
  'running.loadingList': 'Loading the running batches',
  'running.progressOf': ({ title }: { title: string }) => `Progress of ${title}`,
  'running.percentOfIds': ({ percent, total }: { percent: number; total: number }, f) =>
    `${percent}% · ${f.number(total)} IDs`,
  'running.moreIn': ({ count, history }: Count & { history: ReactNode }, f) => [
    `${f.number(count)} more in the `,
    history,
  ],
  'running.browserNotices': 'Browser notification when a batch ends (while this tab is hidden)',
  'running.browserRefused':
    "The browser does not allow notifications for this site; the console's own notice still shows.",
  'running.pairCount': ({ count }: Count, f) => `${n(count, f)} ${count === 1 ? 'pair' : 'pairs'}`,
  'running.tabTitle': ({ percent, title }: { percent: number; title: string }) =>
    `${percent}% · ${title}`,
  'running.batchesRunning': ({ count }: Count, f) => `${n(count, f)} batches running`,
  // The end notices: "Associate 3,000 alerts: Done", "2,990 succeeded · 10 failed".
  'running.endTitle': ({ title, state }: { title: string; state: string }) => `${title}: ${state}`,
  'running.openBatch': 'Open the batch',
  'running.openMove': 'Open the move',
  'running.closeNotice': 'Close notification',
  'running.succeeded': ({ count }: Count, f) => `${n(count, f)} succeeded`,
  'running.unchanged': ({ count }: Count, f) => `${n(count, f)} no change`,
  'running.failed': ({ count }: Count, f) => `${n(count, f)} failed`,
  'running.unknown': ({ count }: Count, f) => `${n(count, f)} unknown`,
  'running.invalid': ({ count }: Count, f) => `${n(count, f)} invalid`,
  'running.skipped': ({ count }: Count, f) => `${n(count, f)} skipped`,
  'running.moved': ({ count }: Count, f) => `${n(count, f)} moved`,
  'running.alreadyThere': ({ count }: Count, f) => `${n(count, f)} already at the destination`,
  'running.keptAtSource': ({ count }: Count, f) => `${n(count, f)} kept at the source`,
  'running.noIds': 'no IDs',
} satisfies Messages;
