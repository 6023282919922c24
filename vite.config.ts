import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

const consolePort = Number(process.env.PORT ?? 8080);

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    sourcemap: false,
    chunkSizeWarningLimit: 800,
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
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: ['src/**/*.test.ts', 'server/**/*.test.ts'],
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
          setupFiles: ['src/testing/setup.ts'],
          testTimeout: 20_000,
        },
      },
    ],
  },
});
