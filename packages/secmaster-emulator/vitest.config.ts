import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'secmaster-emulator',
    environment: 'node',
    include: ['src/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
