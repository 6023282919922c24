import { screen } from '@testing-library/react';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { englishWordsIn, inChinese } from '../testing/i18n';
import { render } from '../testing/render';
import { ErrorBoundary } from './error-boundary';

function Broken(): never {
  throw new Error('boom: widget state lost');
}

// React reports the caught error on the console; the test expects it.
beforeEach(() => void vi.spyOn(console, 'error').mockImplementation(() => undefined));
afterEach(() => vi.restoreAllMocks());

test('an error in the page shows a readable message and a way to reload', () => {
  render(
    <ErrorBoundary>
      <Broken />
    </ErrorBoundary>,
  );
  const alert = screen.getByRole('alert');
  expect(alert).toHaveTextContent('The console hit an unexpected error');
  expect(alert).toHaveTextContent('boom: widget state lost');
  expect(screen.getByRole('button', { name: 'Reload' })).toBeVisible();
});

test('in Chinese, the message is Chinese and the error’s own text is marked as data', () => {
  inChinese();
  render(
    <ErrorBoundary>
      <Broken />
    </ErrorBoundary>,
  );
  const alert = screen.getByRole('alert');
  expect(alert).toHaveTextContent('控制台发生意外错误');
  expect(alert).toHaveTextContent('表单内容已保留；重新加载页面通常即可恢复。');
  expect(screen.getByText('boom: widget state lost')).toHaveAttribute('translate', 'no');
  expect(screen.getByRole('button', { name: '重新加载' })).toBeVisible();
  expect(englishWordsIn()).toEqual([]);
});
