// `npm run dev`: the console server (restarted on change by tsx watch) and Vite with hot reload.
import { spawn } from 'node:child_process';

const children = [
  // CONSOLE_DEV_SERVER=1: only this server accepts requests from the Vite dev server's pages.
  spawn('npx', ['tsx', 'watch', '--clear-screen=false', 'server/main.ts'], {
    stdio: 'inherit',
    env: { ...process.env, CONSOLE_DEV_SERVER: '1' },
  }),
  spawn('npx', ['vite'], { stdio: 'inherit' }),
];
const stop = () => {
  for (const c of children) c.kill('SIGTERM');
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
for (const c of children) c.on('exit', (code) => code && code !== 0 && stop());
console.log(
  'Dev: SPA with hot reload at http://127.0.0.1:5173 (API on the console server, PORT or 8080)',
);
