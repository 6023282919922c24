import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

const consolePort = Number(process.env.PORT ?? 8080);

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    sourcemap: false,
    chunkSizeWarningLimit: 800,
    rolldownOptions: {
      output: {
        // Long-lived vendor chunks (their hashes survive app changes, so returning analysts keep
        // them cached). Only libraries the first page loads whole belong here: a group takes every
        // module it matches, so grouping e.g. @mantine/core would drag the components that only
        // lazy chunks use (Modal, Table, Checkbox…) onto the first page. Everything else is split
        // by rolldown's default graph-based chunking (lazy features stay lazy).
        codeSplitting: {
          groups: [
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/ },
            { name: 'router', test: /node_modules[\\/]react-router[\\/]/ },
            { name: 'query', test: /node_modules[\\/]@tanstack[\\/](query-core|react-query)[\\/]/ },
            { name: 'zod', test: /node_modules[\\/]zod[\\/]/ },
            // Each language's catalog in two parts (src/i18n/load.ts): `core` loads before the first
            // render, `features` with the lazy pages. Named so that scripts/bundle-budget.mjs can
            // count the chosen language's core part on the first page.
            ...['en', 'zh-CN'].flatMap((lang) =>
              ['core', 'features'].map((part) => ({
                name: `catalog-${lang}-${part}`,
                test: new RegExp(
                  `src[\\\\/]i18n[\\\\/]catalogs[\\\\/]${lang}[\\\\/]${part}(\\.ts|[\\\\/])`,
                ),
              })),
            ),
          ],
        },
      },
    },
  },
  server: {
    port: 5173,
    strictPort: true,
    // The dev SPA talks to the console server; Host is kept as the console expects it.
    proxy: {
      '/api': { target: `http://127.0.0.1:${consolePort}`, changeOrigin: true },
      '/v1': { target: `http://127.0.0.1:${consolePort}`, changeOrigin: true },
    },
  },
  test: {
    projects: [
      // The workspace packages, each with its own vitest.config.ts (`npm test` there runs the same).
      'packages/*',
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: ['src/**/*.test.ts', 'server/**/*.test.ts'],
          setupFiles: ['src/testing/setup-i18n.ts'],
          // One real PostgreSQL for the run (the ledger's second store); each test takes a
          // database of its own from it.
          globalSetup: ['server/testing/pg-global-setup.ts'],
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'dom',
          environment: 'jsdom',
          include: ['src/**/*.test.tsx'],
          setupFiles: ['src/testing/setup.ts', 'src/testing/setup-i18n.ts'],
          testTimeout: 20_000,
        },
      },
    ],
  },
});
