/**
 * The request-log checks of the shared-ledger tests (request-log.ts) on hand-made logs: each one
 * finds what it is there to find, so that a process test passing means something.
 */
import { describe, expect, test } from 'vitest';
import { idsSearchBody } from '../../src/api/schemas';
import {
  checkResends,
  classifyRequest,
  sentAfter,
  unclaimedLateWrites,
  type LoggedRequest,
} from './request-log';

const SOC = '/v1/p0123456789abcdef/workspaces/w1/soc';
const SUBJECT = 's-1';
const [X, Y] = ['0b0e0c7a-0000-4000-8000-00000000000a', '0b0e0c7a-0000-4000-8000-00000000000b'];

let n = 0;
function req(
  ak: string,
  op: 'write' | 'read',
  ids: string[],
  at: number,
  end: number | null,
): LoggedRequest {
  return {
    n: n++,
    at,
    end,
    ak,
    method: 'POST',
    op,
    subject: SUBJECT,
    ids,
    status: end ? 200 : null,
  };
}

describe('classifyRequest', () => {
  test('a relation write, a read of the subject links, a class search, anything else', () => {
    expect(
      classifyRequest(
        'POST',
        `${SOC}/incidents/${SUBJECT}/alerts`,
        JSON.stringify({ ids: [X, Y] }),
      ),
    ).toEqual({ method: 'POST', op: 'write', subject: SUBJECT, ids: [X, Y] });
    expect(
      classifyRequest('DELETE', `${SOC}/incidents/${SUBJECT}/alerts`, JSON.stringify({ ids: [X] })),
    ).toMatchObject({ op: 'write', ids: [X] });
    // The runner's reads send the body idsSearchBody makes.
    const search = JSON.stringify(idsSearchBody([X, Y]));
    expect(classifyRequest('POST', `${SOC}/incidents/${SUBJECT}/alerts/search`, search)).toEqual({
      method: 'POST',
      op: 'read',
      subject: SUBJECT,
      ids: [X, Y],
    });
    expect(classifyRequest('POST', `${SOC}/alerts/search`, search)).toMatchObject({
      op: 'search',
      subject: null,
      ids: [X, Y],
    });
    expect(classifyRequest('GET', '/v1/p/workspaces', '')).toMatchObject({ op: 'other' });
    expect(classifyRequest('POST', `${SOC}/incidents/alerts/batch-create`, '{}')).toMatchObject({
      op: 'other',
    });
  });
});

describe('checkResends', () => {
  test('a second console writing an ID after re-reading it once the first write ended: ok', () => {
    const log = [
      req('A', 'write', [X, Y], 0, 50),
      req('B', 'read', [X, Y], 60, 70),
      req('B', 'write', [X, Y], 80, 90),
    ];
    const r = checkResends(log, SUBJECT);
    expect(r).toMatchObject({ ok: true, resentAcross: 2, rereadBetween: 2 });
  });

  test('without a read, with a read before the first write ended, or while it is open: each ID named', () => {
    const none = checkResends(
      [req('A', 'write', [X], 0, 50), req('B', 'write', [X], 80, 90)],
      SUBJECT,
    );
    expect(none.ok).toBe(false);
    expect(none.violations[0]).toMatch(new RegExp(`^${X}: written by B .* without a re-read`));

    const early = checkResends(
      [
        req('A', 'write', [X], 0, 50),
        req('B', 'read', [X], 40, 45),
        req('B', 'write', [X], 80, 90),
      ],
      SUBJECT,
    );
    expect(early.ok).toBe(false);

    const open = checkResends(
      [
        req('A', 'write', [X], 0, null),
        req('B', 'read', [X], 60, 70),
        req('B', 'write', [X], 80, 90),
      ],
      SUBJECT,
    );
    expect(open.violations).toEqual([expect.stringMatching(/while A's write .* was open/)]);

    // Another console's read does not count for B.
    const other = checkResends(
      [
        req('A', 'write', [X], 0, 50),
        req('C', 'read', [X], 60, 70),
        req('B', 'write', [X], 80, 90),
      ],
      SUBJECT,
    );
    expect(other.ok).toBe(false);
  });

  test("one console's own resends (a call chain's retries) are not its business", () => {
    const r = checkResends(
      [req('A', 'write', [X], 0, 50), req('A', 'write', [X], 60, 90)],
      SUBJECT,
    );
    expect(r).toMatchObject({ ok: true, resentAcross: 0 });
  });
});

describe('unclaimedLateWrites', () => {
  test('writes after the answer must be sends of calls claimed before it, each call sent once', () => {
    const early = req('A', 'write', [X], 10, 20);
    const late = req('A', 'write', [Y], 120, 130);
    const lateAgain = req('A', 'write', [Y], 140, 150);
    const calls = [
      { ids: [X], claimedAt: 5 },
      { ids: [Y], claimedAt: 90 },
    ];
    expect(unclaimedLateWrites([early, late], calls, 100)).toEqual([]);
    // Sent twice on one claim, or claimed only after the answer: reported.
    expect(unclaimedLateWrites([early, late, lateAgain], calls, 100)).toEqual([lateAgain]);
    expect(
      unclaimedLateWrites([early, late], [calls[0]!, { ids: [Y], claimedAt: 110 }], 100),
    ).toEqual([late]);
  });
});

test('sentAfter: what one console sent after a moment, whatever it was', () => {
  const log = [
    req('A', 'write', [X], 0, 50),
    req('B', 'read', [X], 60, 70),
    req('A', 'read', [Y], 80, 90),
  ];
  expect(sentAfter(log, 'A', 55).map((r) => r.ids)).toEqual([[Y]]);
  expect(sentAfter(log, 'A', 80)).toEqual([]);
});
