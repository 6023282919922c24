/**
 * The client address the sign-in limits count under (issue 10, defect 3): X-Forwarded-For is
 * believed only from trusted proxies, and then only its rightmost untrusted hop; addresses are
 * normalized, IPv6 clients are counted by /64; and the window limiter takes slots atomically.
 */
import { describe, expect, test } from 'vitest';
import { TrustedProxies, clientAddress, limitKey, normalizeIp } from './client-address';
import { WindowLimiter } from './rate-limit';

describe('normalizeIp', () => {
  test.each([
    ['127.0.0.1', '127.0.0.1'],
    [' 203.0.113.7 ', '203.0.113.7'],
    ['203.0.113.7:51234', '203.0.113.7'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::FFFF:7f00:1', '127.0.0.1'],
    ['[2001:DB8::1]:443', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['unknown', null],
    ['', null],
    ['fe80::1%eth0', null],
    ['203.0.113.7, 10.0.0.1', null],
    ['1'.repeat(100), null],
  ])('%j → %j', (raw, expected) => {
    expect(normalizeIp(raw)).toBe(expected);
  });
});

describe('clientAddress', () => {
  const proxies = new TrustedProxies(['127.0.0.0/8', '::1/128', '10.0.0.0/8']);

  test('an untrusted peer is the client, whatever it writes', () => {
    expect(clientAddress('198.51.100.9', '1.2.3.4', proxies)).toBe('198.51.100.9');
    expect(clientAddress('198.51.100.9', undefined, proxies)).toBe('198.51.100.9');
    expect(clientAddress('198.51.100.9', '1.2.3.4', new TrustedProxies([]))).toBe('198.51.100.9');
  });

  test('behind trusted proxies: the rightmost hop that is not one of them', () => {
    expect(clientAddress('127.0.0.1', '203.0.113.7', proxies)).toBe('203.0.113.7');
    expect(clientAddress('::ffff:127.0.0.1', '6.6.6.6, 203.0.113.7, 10.1.2.3', proxies)).toBe(
      '203.0.113.7',
    );
    expect(clientAddress('::1', '203.0.113.7:5000', proxies)).toBe('203.0.113.7');
    // Every hop trusted: the leftmost one.
    expect(clientAddress('127.0.0.1', '10.0.0.9, 10.0.0.8', proxies)).toBe('10.0.0.9');
    // Garbage where an address should be: the trusted hop that forwarded it answers for it.
    expect(clientAddress('127.0.0.1', 'evil, 10.0.0.8', proxies)).toBe('10.0.0.8');
    expect(clientAddress('127.0.0.1', '', proxies)).toBe('127.0.0.1');
  });

  test('no peer address: unknown', () => {
    expect(clientAddress(undefined, '203.0.113.7', proxies)).toBe('unknown');
  });
});

test('limitKey: IPv4 as is, IPv6 by /64', () => {
  expect(limitKey('203.0.113.7')).toBe('203.0.113.7');
  expect(limitKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
  expect(limitKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
  expect(limitKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
  expect(limitKey('::1')).toBe('0:0:0:0::/64');
  expect(limitKey('unknown')).toBe('unknown');
});

describe('WindowLimiter', () => {
  test('slots are taken at once and given back one by one; a release clears no other slot', () => {
    let t = 0;
    const l = new WindowLimiter(3, 60_000, () => t);
    const a = l.take('k');
    const b = l.take('k');
    const c = l.take('k');
    expect(typeof l.take('k')).toBe('number');
    if (typeof b === 'number' || typeof a === 'number' || typeof c === 'number') throw new Error();
    b.release();
    b.release();
    const d = l.take('k');
    expect(typeof d).toBe('object');
    expect(l.blockedForMs('k')).toBe(60_000);
    expect(l.blockedForMs('other')).toBe(0);
    t = 60_001;
    expect(l.blockedForMs('k')).toBe(0);
  });
});
