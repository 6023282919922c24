import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import {
  BodyTooLargeError,
  fetchSender,
  httpSend,
  readCapped,
  type IncomingBody,
  type SendInit,
} from './transport';

const CAP = 10;
const bytes = (n: number, fill = 0x61) => new Uint8Array(n).fill(fill);

/** A body of the given chunks (then, optionally, a failure), recording what was pulled. */
function bodyOf(chunks: Uint8Array[], opts: { declared?: string; failWith?: Error } = {}) {
  const seen = { pulled: 0, discarded: 0 };
  const body: IncomingBody = {
    declaredLength: opts.declared ?? null,
    chunks: {
      async *[Symbol.asyncIterator]() {
        for (const c of chunks) {
          seen.pulled++;
          yield c;
        }
        if (opts.failWith) throw opts.failWith;
      },
    },
    discard() {
      seen.discarded++;
      return Promise.resolve();
    },
  };
  return { body, seen };
}

test('a body of exactly the cap is read whole, across chunks, and nothing is discarded', async () => {
  const { body, seen } = bodyOf([bytes(4, 0x31), bytes(6, 0x32)], { declared: String(CAP) });
  const out = await readCapped(body, CAP);
  expect(Array.from(out)).toEqual([...Array.from(bytes(4, 0x31)), ...Array.from(bytes(6, 0x32))]);
  expect(seen).toEqual({ pulled: 2, discarded: 0 });
});

test('one chunk is returned as it came; no body at all is empty', async () => {
  const one = bytes(CAP);
  expect(await readCapped(bodyOf([one]).body, CAP)).toBe(one);
  expect((await readCapped(bodyOf([]).body, CAP)).byteLength).toBe(0);
});

test('one byte over the cap is refused as soon as it arrives, and the body is discarded', async () => {
  const { body, seen } = bodyOf([bytes(CAP), bytes(1), bytes(5)]);
  await expect(readCapped(body, CAP)).rejects.toBeInstanceOf(BodyTooLargeError);
  // The third chunk was never pulled: reading stopped at the byte over.
  expect(seen).toEqual({ pulled: 2, discarded: 1 });
});

test('a declared length over the cap is refused before any byte is read', async () => {
  const { body, seen } = bodyOf([bytes(1)], { declared: String(CAP + 1) });
  await expect(readCapped(body, CAP)).rejects.toBeInstanceOf(BodyTooLargeError);
  expect(seen).toEqual({ pulled: 0, discarded: 1 });
});

test('a declared length that lies (under the cap) does not let more than the cap through', async () => {
  const { body, seen } = bodyOf([bytes(CAP + 1)], { declared: '1' });
  await expect(readCapped(body, CAP)).rejects.toBeInstanceOf(BodyTooLargeError);
  expect(seen.discarded).toBe(1);
});

test('a stream that errors rejects with its own error, not as too large', async () => {
  const failure = new Error('socket hang up');
  const { body, seen } = bodyOf([bytes(3)], { failWith: failure });
  await expect(readCapped(body, CAP)).rejects.toBe(failure);
  expect(seen.discarded).toBe(0);
});

// ---------------------------------------------------------------------------------------------
// The same read behind both clients
// ---------------------------------------------------------------------------------------------

const init = (): SendInit => ({
  method: 'GET',
  headers: {},
  body: undefined,
  signal: new AbortController().signal,
});

/** A fetch answering with a web stream of `chunks` (then an error, if given). */
function streamingFetch(chunks: Uint8Array[], failWith?: Error) {
  const state = { cancelled: false };
  const fetchImpl = (() => {
    let i = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const c = chunks[i++];
        if (c) controller.enqueue(c);
        else if (failWith) controller.error(failWith);
        else controller.close();
      },
      cancel() {
        state.cancelled = true;
      },
    });
    return Promise.resolve(new Response(stream, { status: 200 }));
  }) as typeof fetch;
  return { fetchImpl, state };
}

test('fetch client: at the cap is read; one byte over cancels the stream; an error passes', async () => {
  const atCap = streamingFetch([bytes(6), bytes(4)]);
  const ok = await fetchSender(atCap.fetchImpl)('http://upstream.test/', init());
  expect((await readCapped(ok.body, CAP)).byteLength).toBe(CAP);
  expect(atCap.state.cancelled).toBe(false);

  const over = streamingFetch([bytes(6), bytes(5), bytes(1)]);
  const big = await fetchSender(over.fetchImpl)('http://upstream.test/', init());
  await expect(readCapped(big.body, CAP)).rejects.toBeInstanceOf(BodyTooLargeError);
  expect(over.state.cancelled).toBe(true);

  const failure = new Error('stream broke');
  const broken = streamingFetch([bytes(2)], failure);
  const bad = await fetchSender(broken.fetchImpl)('http://upstream.test/', init());
  await expect(readCapped(bad.body, CAP)).rejects.toBe(failure);
});

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A loopback server: `/cap` sends CAP bytes, `/over` CAP + 1 (unannounced), `/broken` dies mid-body. */
async function startServer(): Promise<string> {
  server = createServer((req, res) => {
    if (req.url === '/broken') {
      res.writeHead(200, { 'Content-Length': String(CAP) });
      res.write(bytes(3));
      setImmediate(() => res.destroy());
      return;
    }
    res.writeHead(200);
    res.end(bytes(req.url === '/over' ? CAP + 1 : CAP));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

test('node:http client: at the cap is read; one byte over is refused; a broken body rejects', async () => {
  const url = await startServer();
  const ok = await httpSend(`${url}/cap`, init());
  expect((await readCapped(ok.body, CAP)).byteLength).toBe(CAP);

  const big = await httpSend(`${url}/over`, init());
  await expect(readCapped(big.body, CAP)).rejects.toBeInstanceOf(BodyTooLargeError);

  const broken = await httpSend(`${url}/broken`, init());
  const error = await readCapped(broken.body, CAP).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(Error);
  expect(error).not.toBeInstanceOf(BodyTooLargeError);
});
