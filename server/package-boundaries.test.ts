/**
 * The lint rule that keeps the workspace packages (packages/) free of the console: run through
 * ESLint's API on snippets placed (by file path) in the packages.
 */
import { ESLint } from 'eslint';
import { expect, test } from 'vitest';

const RULE = 'no-restricted-imports';

const eslint = new ESLint({
  cwd: decodeURIComponent(new URL('../', import.meta.url).pathname),
  // The snippets are not files of a TypeScript project: check imports only, without types.
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
  ruleFilter: ({ ruleId }) => ruleId === RULE,
});

/** The lines reported by the rule for `code`, linted as if it were the file at `filePath`. */
async function refusedLines(code: string, filePath: string): Promise<number[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => {
    expect(m.ruleId).toBe(RULE);
    return m.line;
  });
}

const CONSOLE_IMPORTS = [
  "import { loadConfig } from '../../../server/config';",
  "import type { DataclassType } from '../../../src/api/schemas';",
  "export { signRequest } from '../../../server/signing';",
  "export * from '../../apig-signing/src/signing';",
  "import { DEMO_AK } from '/server/credentials';",
  "import { x } from 'secmaster-association-console/server/config';",
  "import root from '../..';",
];

test("an emulator source importing the console's files, by any path, is an error", async () => {
  const code = CONSOLE_IMPORTS.join('\n');
  const lines = CONSOLE_IMPORTS.map((_, i) => i + 1);
  expect(await refusedLines(code, 'packages/secmaster-emulator/src/x.ts')).toEqual(lines);
  expect(await refusedLines(code, 'packages/secmaster-emulator/bin/x.mjs')).toEqual(lines);
  expect(await refusedLines(code, 'packages/apig-signing/src/x.ts')).toEqual(lines);
});

test('files at the root of a package or deeper in it are held to the same line', async () => {
  const fromRoot = "import { x } from '../../server/config';\nimport { y } from '../apig-signing';";
  expect(await refusedLines(fromRoot, 'packages/secmaster-emulator/vitest.config.ts')).toEqual([
    1, 2,
  ]);
  const deeper = "import { x } from '../../../../server/config';";
  expect(await refusedLines(deeper, 'packages/secmaster-emulator/src/sub/x.ts')).toEqual([1]);
});

test('own files and packages by name are allowed; the console imports the packages', async () => {
  const own = [
    "import { createEmulator } from './app';",
    "import pkg from '../package.json';",
    "import { signRequest } from 'apig-signing';",
    "import { Hono } from 'hono';",
    "import { serve } from '@hono/node-server';",
    "import { readFileSync } from 'node:fs';",
    'void [createEmulator, pkg, signRequest, Hono, serve, readFileSync];',
  ].join('\n');
  expect(await refusedLines(own, 'packages/secmaster-emulator/src/x.ts')).toEqual([]);
  const consoleFile = [
    "import { startEmulator } from 'secmaster-emulator';",
    "import { startEmulatorThread } from 'secmaster-emulator/thread';",
    "import { loadConfig } from '../config';",
    'void [startEmulator, startEmulatorThread, loadConfig];',
  ].join('\n');
  expect(await refusedLines(consoleFile, 'server/batches/x.ts')).toEqual([]);
});
