import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { expect, test } from 'vitest';
import type { Session } from '../../api/schemas';
import { englishWordsIn, inChinese } from '../../testing/i18n';
import { server } from '../../testing/msw';
import { render } from '../../testing/render';
import { SessionExpiryBanner } from './session-expiry-banner';
import { SignedInUser } from './signed-in-user';

function signedIn(overrides: Partial<Session> = {}): Session {
  return {
    authenticated: true,
    user: 'analyst.wang',
    method: 'iam',
    expires_at: null,
    sign_in_required: true,
    sign_in_methods: ['iam'],
    region: 'cn-north-4',
    ...overrides,
  };
}

test('in Chinese, the user (data, untranslated), "Sign out" and its failure speak Chinese', async () => {
  inChinese();
  server.use(
    http.delete('/api/session', () =>
      HttpResponse.json({ code: 'NOT_IN_CATALOG', message: 'storage offline' }, { status: 500 }),
    ),
  );
  render(<SignedInUser session={signedIn()} />);
  const user = screen.getByText('analyst.wang');
  expect(user).toHaveAttribute('translate', 'no');
  expect(user).toHaveAttribute('title', '当前登录用户');
  await userEvent.click(screen.getByRole('button', { name: '退出登录' }));
  const alert = await screen.findByRole('alert');
  expect(alert).toHaveTextContent(/^退出登录失败：/);
  // The server's own words for a code the console does not know are shown as sent (data).
  expect(alert).toHaveTextContent('storage offline');
  expect(englishWordsIn()).toEqual([]);
});

test('in Chinese, the session-end warning gives the end time in Chinese words', () => {
  inChinese();
  const endsAt = new Date(Date.now() + 30 * 60_000);
  render(<SessionExpiryBanner session={signedIn({ expires_at: endsAt.toISOString() })} />);
  const hhmm = `${String(endsAt.getHours()).padStart(2, '0')}:${String(endsAt.getMinutes()).padStart(2, '0')}`;
  expect(screen.getByText('会话即将结束')).toBeVisible();
  expect(
    screen.getByText(`您的 SecMaster 会话将于 ${hhmm} 结束，请重新登录以使批次继续运行`),
  ).toBeVisible();
  expect(englishWordsIn()).toEqual([]);
});
