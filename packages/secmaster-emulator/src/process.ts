/**
 * The emulator as a child process, for tests of its commands (`npm start`, the `bin`, the root's
 * `npm run emulator`): start a command, wait for its "listening on" line, call it signed, stop it.
 */
import { signRequest } from 'apig-signing';
import { spawn } from 'node:child_process';
import { DEMO_AK, DEMO_SK } from './auth';

export interface EmulatorProcess {
  /** The URL from the "listening on" line. */
  url: string;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** SIGTERM to the command's process group; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface CommandRun {
  code: number | null;
  output: string;
}

function start(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv) {
  // Its own process group: `npm start` runs the emulator as a grandchild, and a stop reaches both.
  const child = spawn(command, args, {
    cwd,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  return { child, output: () => output, listeners, exited };
}

/** Runs `command` to its end (a refused start, say). */
export async function runCommand(
  command: string,
  args: readonly string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<CommandRun> {
  const run = start(command, args, opts.cwd, opts.env);
  const code = await run.exited;
  return { code, output: run.output() };
}

/** Starts `command` and resolves once it prints where it listens; rejects if it ends first. */
export async function startEmulatorProcess(
  command: string,
  args: readonly string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<EmulatorProcess> {
  const run = start(command, args, opts.cwd, opts.env);
  const stop = async () => {
    if (run.child.exitCode === null && run.child.signalCode === null && run.child.pid) {
      try {
        process.kill(-run.child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    return run.exited;
  };
  const url = await new Promise<string>((resolve, reject) => {
    const check = () => {
      const m = /SecMaster emulator listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(run.output());
      if (m?.[1]) resolve(m[1]);
    };
    run.listeners.add(check);
    void run.exited.then((code) =>
      reject(new Error(`${command} ${args.join(' ')} ended (${code}):\n${run.output()}`)),
    );
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { url, output: run.output, stop };
}

/** `GET /v1/{project}/workspaces` signed with the demo pair: the status it answers. */
export async function listWorkspacesStatus(url: string, projectId: string): Promise<number> {
  const target = `${url}/v1/${projectId}/workspaces?offset=0&limit=1`;
  const headers = signRequest({
    method: 'GET',
    url: target,
    headers: { 'Content-Type': 'application/json', 'X-Project-Id': projectId },
    body: undefined,
    ak: DEMO_AK,
    sk: DEMO_SK,
    now: new Date(),
  });
  delete headers.host;
  const res = await fetch(target, { headers });
  await res.body?.cancel();
  return res.status;
}
