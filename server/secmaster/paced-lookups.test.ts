/**
 * The link check's read path (lookups.ts) on a paced upstream while SecMaster throttles reads, in
 * virtual time: a throttled read waits and is sent again, and a throttle never shows an ID as not
 * linked.
 */
import { expect, test } from 'vitest';
import { idKey } from '../../src/api/schemas';
import { makeIds } from '../testing/fake-upstream';
import type { Upstream, UpstreamResponse } from './client';
import { FakeClock } from './fake-clock';
import { LookupError, findIds, type IdsRead } from './lookups';
import type { UpstreamOperation } from './operations';
import { pacedUpstream } from './paced';
import { Pacer } from './pacer';

const READ: IdsRead = {
  op: 'relationSearch',
  workspaceId: 'ws',
  dataclass: 'incidents',
  objectId: 'c0ffee00-0000-4000-8000-000000000001',
  related: 'alerts',
};

/** Reads counted against `limit` per sliding second; throttled always while `storm` says so. */
function readGateway(
  clock: FakeClock,
  linked: ReadonlySet<string>,
  o: { limit: number; storm?: () => boolean },
) {
  const admitted: number[] = [];
  let throttled = 0;
  const upstream: Upstream = {
    async call(op: UpstreamOperation): Promise<UpstreamResponse> {
      const at = clock.now();
      await clock.sleep(40);
      while (admitted.length > 0 && (admitted[0] ?? 0) <= at - 1000) admitted.shift();
      if ((o.storm?.() ?? false) || admitted.length >= o.limit) {
        throttled++;
        return {
          status: 429,
          requestId: null,
          body: {
            error_code: 'APIG.0308',
            error_msg: `The throttling threshold has been reached: policy user over ratelimit,limit:${o.limit},time:1 second`,
          },
        };
      }
      admitted.push(at);
      // The IDs asked for, from the search's condition ["id", "in", "a,b,…"].
      const asked = (/"id","in","([^"]*)"/.exec(JSON.stringify(op))?.[1] ?? '').split(',');
      const data = asked.filter((id) => linked.has(id)).map((id) => ({ id, data_object: { id } }));
      return { status: 200, requestId: null, body: { code: '00000000', total: data.length, data } };
    },
  };
  return {
    upstream,
    get throttled() {
      return throttled;
    },
  };
}

test('a link check under throttling waits and finds every linked ID (none reported as not linked)', async () => {
  const clock = new FakeClock();
  const ids = makeIds(1_500);
  const linked = new Set(ids.filter((_, i) => i % 2 === 0));
  // 15 reads, 4 at a time, against 2 reads/s: most are throttled at first.
  const gw = readGateway(clock, linked, { limit: 2 });
  const pacer = new Pacer({ now: clock.now, schedule: clock.schedule });
  const found = await clock.runUntil(
    findIds(pacedUpstream(gw.upstream, pacer), READ, ids, 'link check'),
  );
  expect(gw.throttled).toBeGreaterThan(0);
  expect(pacer.snapshot('read').limit).toBe(2);
  expect([...found].sort()).toEqual([...linked].map(idKey).sort());
});

test('a throttle storm longer than the check can wait fails the check as throttled, never as "not linked"', async () => {
  const clock = new FakeClock();
  const ids = makeIds(300);
  const gw = readGateway(clock, new Set(ids), { limit: 5, storm: () => true });
  const pacer = new Pacer({ now: clock.now, schedule: clock.schedule });
  const run = findIds(pacedUpstream(gw.upstream, pacer), READ, ids, 'link check').then(
    () => null,
    (err: unknown) => err,
  );
  const err = await clock.runUntil(run);
  expect(err).toBeInstanceOf(LookupError);
  expect(err).toMatchObject({ status: 502, code: 'APIG.0308' });
});
