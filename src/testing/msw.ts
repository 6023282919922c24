import { setupServer } from 'msw/node';

/** One MSW server for component tests; each test declares its own handlers with `server.use`. */
export const server = setupServer();
