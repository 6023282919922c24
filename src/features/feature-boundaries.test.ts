/**
 * The lint rule that keeps the features apart, run through ESLint's API on snippets placed (by
 * file path) in the history feature.
 */
import { ESLint } from 'eslint';
import { expect, test } from 'vitest';

const RULE = 'local/no-cross-feature-imports';

const eslint = new ESLint({
  cwd: decodeURIComponent(new URL('../../', import.meta.url).pathname),
  // The snippets are not files of the TypeScript project: check imports only, without types.
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
  ruleFilter: ({ ruleId }) => ruleId === RULE || ruleId === 'no-restricted-imports',
});

/** The rule ids reported for `code`, linted as if it were the file at `filePath`. */
async function lint(code: string, filePath = 'src/features/history/x.tsx') {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => ({ ruleId: m.ruleId, line: m.line }));
}

test('a feature importing another feature, by any path, is an error', async () => {
  const code = [
    "import { fetchAllBatchItems } from '../../features/batches/queries';",
    "import { ACTIVE_POLL_MS } from '../batches/queries';",
    "export { BatchView } from '../../../src/features/batches/batch-view';",
    "export * from '/src/features/relations/queries';",
    "export const load = () => import('../relations/current-associations');",
    'export type Form = typeof import("../associate/associate-form");',
    'void fetchAllBatchItems;',
    'void ACTIVE_POLL_MS;',
  ].join('\n');
  expect(await lint(code)).toEqual([1, 2, 3, 4, 5, 6].map((line) => ({ ruleId: RULE, line })));
});

test('a file deeper in a feature is still in that feature', async () => {
  const code = "import { x } from '../../batches/queries';\nvoid x;";
  expect(await lint(code, 'src/features/history/rows/x.tsx')).toEqual([{ ruleId: RULE, line: 1 }]);
  const own = "import { x } from '../history-page';\nvoid x;";
  expect(await lint(own, 'src/features/history/rows/x.tsx')).toEqual([]);
});

test('its own files, the shared layers and the theme are allowed', async () => {
  const code = [
    "import { HISTORY_PAGE_SIZE } from './history-page';",
    "import { HistoryPage } from '../../features/history/history-page';",
    "import { batchQueries } from '../../api/console-queries';",
    "import { paths } from '../../lib/paths';",
    "import { theme } from '../../app/theme';",
    "import { useQuery } from '@tanstack/react-query';",
    'void [HISTORY_PAGE_SIZE, HistoryPage, batchQueries, paths, theme, useQuery];',
  ].join('\n');
  expect(await lint(code)).toEqual([]);
});

test('the app shell may import any feature; a feature may not import the shell', async () => {
  const code = "import { HistoryPage } from '../features/history/history-page';\nvoid HistoryPage;";
  expect(await lint(code, 'src/app/x.tsx')).toEqual([]);
  const shell = "import { Shell } from '../../app/shell';\nvoid Shell;";
  expect(await lint(shell)).toEqual([{ ruleId: 'no-restricted-imports', line: 1 }]);
});
