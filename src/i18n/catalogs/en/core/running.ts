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
  'running.pairCount': ({ count }: Count, f) => `${n(count, f)} ${count === 1 ? 'pair' : 'pairs'}`,
  'running.tabTitle': ({ percent, title }: { percent: number; title: string }) =>
    `${percent}% · ${title}`,
  'running.batchesRunning': ({ count }: Count, f) => `${n(count, f)} batches running`,
} satisfies Messages;
