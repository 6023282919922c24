import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { expect, test } from 'vitest';
import type { Session } from '../../api/schemas';
import { server } from '../../testing/msw';
import { englishWordsIn, inChinese } from '../../testing/i18n';
import { render } from '../../testing/render';
import { SignInPage } from './sign-in-page';

function session(overrides: Partial<Session> = {}): Session {
  return {
    authenticated: false,
    user: null,
    method: 'none',
    expires_at: null,
    sign_in_required: true,
    sign_in_methods: ['access-token', 'iam'],
    region: null,
    ...overrides,
  };
}

/** Records every sign-in attempt and answers with `answer`. */
function serveSignIn(answer: () => Response) {
  const posted: unknown[] = [];
  server.use(
    http.post('/api/session', async ({ request }) => {
      posted.push(await request.json());
      return answer();
    }),
  );
  return posted;
}

test('an empty token is refused at the field, without asking the server', async () => {
  const posted = serveSignIn(() => HttpResponse.json({}, { status: 500 }));
  render(<SignInPage session={session()} />);
  await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
  expect(await screen.findByText('Enter the access token')).toBeVisible();
  expect(screen.getByLabelText('Access token')).toHaveAttribute('aria-invalid', 'true');
  expect(posted).toEqual([]);
});

test('the fields carry the autocomplete hints password managers rely on', async () => {
  render(<SignInPage session={session({ region: 'ap-southeast-1' })} />);
  expect(screen.getByLabelText('Access token')).toHaveAttribute('autocomplete', 'current-password');
  await userEvent.click(screen.getByRole('tab', { name: 'IAM user' }));
  expect(screen.getByRole('textbox', { name: 'User name' })).toHaveAttribute(
    'autocomplete',
    'username',
  );
  expect(screen.getByLabelText('Password')).toHaveAttribute('type', 'password');
  expect(screen.getByLabelText('Password')).toHaveAttribute('autocomplete', 'current-password');
  expect(screen.getByRole('textbox', { name: 'Region' })).toHaveValue('ap-southeast-1');
  // The token form is gone with its tab: nothing typed there lingers in the page.
  expect(screen.queryByLabelText('Access token')).not.toBeInTheDocument();
});

test('the IAM form checks every field before sending anything', async () => {
  const posted = serveSignIn(() => HttpResponse.json({}, { status: 500 }));
  render(<SignInPage session={session({ sign_in_methods: ['iam'] })} />);
  expect(screen.queryByRole('tab')).not.toBeInTheDocument();
  await userEvent.type(screen.getByRole('textbox', { name: 'Region' }), 'north 4');
  await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
  expect(await screen.findByText('Enter the account name')).toBeVisible();
  expect(screen.getByText('Enter your IAM user name')).toBeVisible();
  expect(screen.getByText('Enter your password')).toBeVisible();
  expect(screen.getByText('A region looks like cn-north-4')).toBeVisible();
  expect(posted).toEqual([]);
});

test('a failed IAM sign-in shows the reason and clears only the password', async () => {
  const posted = serveSignIn(() =>
    HttpResponse.json(
      { code: 'SIGN_IN_FAILED', message: 'The user name or password is wrong.' },
      { status: 401 },
    ),
  );
  render(<SignInPage session={session({ sign_in_methods: ['iam'], region: 'cn-north-4' })} />);
  await userEvent.type(screen.getByRole('textbox', { name: 'Account' }), 'acme');
  await userEvent.type(screen.getByRole('textbox', { name: 'User name' }), 'analyst');
  await userEvent.type(screen.getByLabelText('Password'), 'nope');
  await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
  expect(await screen.findByRole('alert')).toHaveTextContent(
    'The user name or password is wrong. (SIGN_IN_FAILED)',
  );
  expect(screen.getByLabelText('Password')).toHaveValue('');
  expect(screen.getByRole('textbox', { name: 'User name' })).toHaveValue('analyst');
  expect(posted).toEqual([
    { method: 'iam', user: 'analyst', password: 'nope', account: 'acme', region: 'cn-north-4' },
  ]);
});

test('too many attempts are explained even when the server sends no message', async () => {
  serveSignIn(() => new HttpResponse(null, { status: 429 }));
  render(<SignInPage session={session({ sign_in_methods: ['access-token'] })} />);
  await userEvent.type(screen.getByLabelText('Access token'), 'some-token');
  await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
  expect(await screen.findByRole('alert')).toHaveTextContent(
    'Too many sign-in attempts. Wait a minute, then try again.',
  );
});

test('a server that requires sign-in but offers no method says so', () => {
  render(<SignInPage session={session({ sign_in_methods: [] })} />);
  expect(screen.getByRole('alert')).toHaveTextContent('offers no sign-in method');
  expect(screen.queryByRole('button', { name: 'Sign in' })).not.toBeInTheDocument();
});

test('in Chinese, both forms and their field errors speak Chinese (the region code excepted)', async () => {
  inChinese();
  const posted = serveSignIn(() => HttpResponse.json({}, { status: 500 }));
  render(<SignInPage session={session()} />);
  expect(screen.getByRole('heading', { name: '登录' })).toBeVisible();
  await userEvent.click(screen.getByRole('button', { name: '登录' }));
  expect(await screen.findByText('请输入访问令牌')).toBeVisible();
  expect(screen.getByLabelText('访问令牌')).toHaveAttribute('aria-invalid', 'true');
  expect(englishWordsIn()).toEqual([]);

  await userEvent.click(screen.getByRole('tab', { name: 'IAM 用户' }));
  await userEvent.type(screen.getByRole('textbox', { name: '区域' }), 'north 4');
  await userEvent.click(screen.getByRole('button', { name: '登录' }));
  expect(await screen.findByText('请输入账号名')).toBeVisible();
  expect(screen.getByText('请输入 IAM 用户名')).toBeVisible();
  expect(screen.getByText('请输入密码')).toBeVisible();
  expect(screen.getByText(/区域格式示例/)).toHaveTextContent('区域格式示例：cn-north-4');
  expect(screen.getByRole('textbox', { name: '用户名' })).toBeVisible();
  expect(screen.getByLabelText('密码')).toHaveAttribute('type', 'password');
  expect(englishWordsIn()).toEqual([]);
  expect(posted).toEqual([]);
});

test('in Chinese, too many attempts are explained in Chinese', async () => {
  inChinese();
  serveSignIn(() => new HttpResponse(null, { status: 429 }));
  render(<SignInPage session={session({ sign_in_methods: ['access-token'] })} />);
  await userEvent.type(screen.getByLabelText('访问令牌'), 'some-token');
  await userEvent.click(screen.getByRole('button', { name: '登录' }));
  const alert = await screen.findByRole('alert');
  expect(alert).toHaveTextContent('登录失败');
  expect(alert).toHaveTextContent('登录尝试次数过多。请等待一分钟后重试。');
  expect(englishWordsIn()).toEqual([]);
});
