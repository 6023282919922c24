import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'apig-signing',
    environment: 'node',
    include: ['src/**/*.test.ts'],
  },
});
