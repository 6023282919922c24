/**
 * Moving bytes between the console and SecMaster. Two HTTP clients sit behind one `Exchange`
 * shape: node:http(s) with keep-alive pools (the default: no web streams, no WebIDL per call) and
 * an injected `fetch` (tests, and the start-up check that reads the `Date` header). Neither
 * follows redirects. Both read the answer through the one capped read, `readCapped`, so an answer
 * beyond the cap is refused the same way whichever client fetched it, and never held in memory
 * past the cap. What the bytes mean is `client.ts`'s business.
 */
import { Buffer } from 'node:buffer';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** An answer's body as it arrives, from whichever client. */
export interface IncomingBody {
  /** The `Content-Length` header as received, or null. */
  readonly declaredLength: string | null;
  /** The body's chunks in order (none when there is no body). */
  readonly chunks: AsyncIterable<Uint8Array>;
  /** Drops the rest of the body unread (the connection is closed, not reused). */
  discard(): Promise<void>;
}

/** The body was larger than the cap (declared or received); what was read is dropped. */
export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
  constructor(readonly cap: number) {
    super(`the body is larger than ${cap} bytes`);
  }
}

/**
 * The whole body, refused with BodyTooLargeError beyond `cap` bytes: up front when the declared
 * length is larger, else as soon as the bytes received pass it (the body is then discarded, so
 * at most one chunk beyond the cap is ever held). A stream that fails rejects with its error.
 */
export async function readCapped(body: IncomingBody, cap: number): Promise<Uint8Array> {
  const declared = Number(body.declaredLength ?? '');
  if (Number.isFinite(declared) && declared > cap) {
    await body.discard();
    throw new BodyTooLargeError(cap);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body.chunks) {
    size += chunk.byteLength;
    if (size > cap) {
      await body.discard();
      throw new BodyTooLargeError(cap);
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

/** One upstream HTTP exchange, whichever client made it. */
export interface Exchange {
  status: number;
  header(name: string): string | null;
  body: IncomingBody;
}

export interface SendInit {
  method: string;
  headers: Record<string, string>;
  body: Uint8Array<ArrayBuffer> | undefined;
  signal: AbortSignal;
}

/** Sends one request; resolves once the answer's status and headers are in. */
export type Send = (href: string, init: SendInit) => Promise<Exchange>;

/** A web `ReadableStream` body: read through one reader, which also cancels it. */
function webBody(res: Response): IncomingBody {
  const stream = res.body;
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  return {
    declaredLength: res.headers.get('content-length'),
    chunks: {
      async *[Symbol.asyncIterator]() {
        if (!stream) return;
        reader = stream.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          yield value;
        }
      },
    },
    async discard() {
      await (reader ?? stream)?.cancel().catch(() => undefined);
    },
  };
}

/** An injected `fetch` (tests): redirects not followed, the body read through its stream. */
export function fetchSender(fetchImpl: typeof fetch): Send {
  return async (href, init) => {
    const res = await fetchImpl(href, {
      method: init.method,
      headers: init.headers,
      body: init.body,
      redirect: 'manual',
      signal: init.signal,
    });
    return {
      status: res.status,
      header: (name) => res.headers.get(name),
      body: webBody(res),
    };
  };
}

/**
 * Keep-alive connection pools for every upstream (node:http never follows redirects). An idle
 * connection is closed after 4 s (as undici's fetch does), or sooner when the server's
 * `Keep-Alive: timeout=` says so, so a connection the server is about to drop is not reused.
 */
const HTTP_AGENT = new HttpAgent({ keepAlive: true, timeout: 4_000 });
const HTTPS_AGENT = new HttpsAgent({ keepAlive: true, timeout: 4_000 });

/** The default client: node:http(s) with a keep-alive agent (no web streams, no WebIDL per call). */
export const httpSend: Send = (href, init) =>
  new Promise<Exchange>((resolve, reject) => {
    const secure = href.startsWith('https:');
    const headers =
      init.body === undefined
        ? init.headers
        : { ...init.headers, 'Content-Length': String(init.body.byteLength) };
    const req = (secure ? httpsRequest : httpRequest)(
      href,
      {
        method: init.method,
        headers,
        agent: secure ? HTTPS_AGENT : HTTP_AGENT,
        signal: init.signal,
      },
      (res) => resolve(nodeExchange(res)),
    );
    req.on('error', reject);
    req.end(init.body);
  });

function nodeExchange(res: IncomingMessage): Exchange {
  const header = (name: string): string | null => {
    const v = res.headers[name];
    return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
  };
  return {
    status: res.statusCode ?? 0,
    header,
    body: {
      declaredLength: header('content-length'),
      chunks: res,
      discard() {
        res.destroy();
        return Promise.resolve();
      },
    },
  };
}
