/**
 * The request helpers that the batch routes (routes.ts) and the group routes (group-routes.ts)
 * share: an items route's query, an export's format, who asks and the idempotency key, a parsed
 * body, and the answer to a request that makes a batch.
 */
import { Hono } from 'hono';
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { MAX_ITEMS_PAGE, itemStateSchema } from '../../src/api/schemas';
import type { BatchRecord } from './ledger';
import { createdFrom, formatOf, itemsQueryOf, parsedBody, requestContextOf } from './routes';
import { ServiceError, type Created } from './service';

const identity = { source: 'env-aksk', sessionId: null } as const;

const app = new Hono();
app.get('/items', (c) => {
  const query = itemsQueryOf(c, 'state', itemStateSchema, 'not an item state');
  return query instanceof Response ? query : c.json({ ...query, filter: query.filter ?? null });
});
app.get('/format', (c) => {
  const format = formatOf(c);
  return format instanceof Response ? format : c.text(format);
});
app.post('/context', (c) => {
  const ctx = requestContextOf(c, { userOf: () => 'alice', identityOf: () => identity });
  return ctx instanceof Response ? ctx : c.json(ctx);
});
app.post('/parsed', async (c) => {
  const body = await parsedBody(c, z.strictObject({ n: z.number() }));
  return body instanceof Response ? body : c.json(body);
});

/** A made batch (only its id matters here). */
const batch = { id: 'b-1' } as BatchRecord;
const present = (b: BatchRecord) => Promise.resolve({ id: b.id, presented: true });

async function answerOf(make: () => Created, body: unknown = {}): Promise<Response> {
  const one = new Hono();
  one.post('/', (c) =>
    createdFrom(c, body, () => Promise.resolve().then(make), '/api/things', present),
  );
  return one.request('/', { method: 'POST' });
}

async function json(res: Response | Promise<Response>): Promise<unknown> {
  return (await res).json();
}

describe('itemsQueryOf', () => {
  test('defaults: the first full page, no filter, no search', async () => {
    expect(await json(app.request('/items'))).toEqual({
      offset: 0,
      limit: MAX_ITEMS_PAGE,
      filter: null,
    });
  });

  test('reads offset, a clamped limit, the filter and a trimmed search; a blank one is none', async () => {
    const res = app.request(`/items?offset=20&limit=${MAX_ITEMS_PAGE + 1}&state=failed&q=%20ab%20`);
    expect(await json(res)).toEqual({
      offset: 20,
      limit: MAX_ITEMS_PAGE,
      filter: 'failed',
      q: 'ab',
    });
    expect(await json(app.request('/items?state=&q=%20%20'))).toMatchObject({ filter: null });
    expect(await json(app.request('/items?q=%20%20'))).not.toHaveProperty('q');
  });

  test.each([
    ['offset=-1', 'offset', 'offset: must be a non-negative integer'],
    ['state=done', 'state', 'state: not an item state'],
    [`q=${'x'.repeat(65)}`, 'q', 'q: at most 64 characters'],
    ['q=a%00b', 'q', 'q: must not contain a NUL character'],
  ])('%s is a 400 naming %s', async (query, field, message) => {
    const res = await app.request(`/items?${query}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: 'INVALID_QUERY', message, field });
  });
});

test('formatOf: csv by default, json when asked, anything else a 400', async () => {
  expect(await (await app.request('/format')).text()).toBe('csv');
  expect(await (await app.request('/format?format=json')).text()).toBe('json');
  const res = await app.request('/format?format=xml');
  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({ code: 'INVALID_QUERY', field: 'format' });
});

test('requestContextOf: who asks and the key; a malformed key is a 400', async () => {
  const ok = await app.request('/context', {
    method: 'POST',
    headers: { 'Idempotency-Key': 'k-1' },
  });
  expect(await ok.json()).toEqual({ user: 'alice', identity, idempotencyKey: 'k-1' });
  expect(await json(app.request('/context', { method: 'POST' }))).toEqual({
    user: 'alice',
    identity,
  });
  const bad = await app.request('/context', {
    method: 'POST',
    headers: { 'Idempotency-Key': 'a b' },
  });
  expect(bad.status).toBe(400);
  expect(await bad.json()).toMatchObject({
    code: 'INVALID_IDEMPOTENCY_KEY',
    field: 'Idempotency-Key',
  });
});

test('parsedBody: the parsed body; malformed JSON and a body the schema refuses are 400s', async () => {
  const post = (body: string) => app.request('/parsed', { method: 'POST', body });
  expect(await json(post('{"n":1}'))).toEqual({ n: 1 });
  expect(await json(post('{'))).toMatchObject({ code: 'INVALID_JSON' });
  expect(await json(post('{"n":"1"}'))).toMatchObject({ code: 'INVALID_BODY', field: 'n' });
});

describe('createdFrom', () => {
  test('a created batch is 201 at its location, presented', async () => {
    const res = await answerOf(() => ({ batch, replayed: false }));
    expect(res.status).toBe(201);
    expect(res.headers.get('Location')).toBe('/api/things/b-1');
    expect(res.headers.get('Idempotent-Replayed')).toBeNull();
    expect(await res.json()).toEqual({ id: 'b-1', presented: true });
  });

  test('a replayed one is 200 with Idempotent-Replayed', async () => {
    const res = await answerOf(() => ({ batch, replayed: true }));
    expect(res.status).toBe(200);
    expect(res.headers.get('Idempotent-Replayed')).toBe('true');
  });

  test("the service's refusal is its JSON error; a 400 already found in the body is answered as it is", async () => {
    const refused = await answerOf(() => {
      throw new ServiceError(409, 'NOTHING_TO_UNDO', 'nothing to undo');
    });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toEqual({ code: 'NOTHING_TO_UNDO', message: 'nothing to undo' });
    const made: string[] = [];
    const earlier = await answerOf(
      () => {
        made.push('x');
        return { batch, replayed: false };
      },
      new Response('bad', { status: 400 }),
    );
    expect(earlier.status).toBe(400);
    expect(made).toEqual([]);
  });
});
