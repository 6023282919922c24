// The app's own page frames (what shows before a feature's chunk, or instead of it) in Chinese.
import { screen } from '@testing-library/react';
import { Route, Routes } from 'react-router';
import { expect, test } from 'vitest';
import type { ConsoleConfig } from '../api/schemas';
import { routes } from '../lib/paths';
import { englishWordsIn, inChinese } from '../testing/i18n';
import { render } from '../testing/render';
import { AssociatePage } from './associate-page';
import { ObjectPage } from './object-page';
import { PairsPage } from './pairs-page';

const config = {
  mode: 'emulator',
  projectId: 'project0000000000000000000000001',
  endpoint: 'http://127.0.0.1:8081',
  region: null,
  user: 'local',
  maxBatchIds: 100000,
  maxIdsPerCall: 100,
} as ConsoleConfig;

test('in Chinese, the associate page without a workspace says what to do', () => {
  inChinese();
  render(<AssociatePage config={config} workspaceId={null} />);
  expect(screen.getByText('没有工作空间')).toBeVisible();
  expect(screen.getByText('请先在页头选择一个工作空间。')).toBeVisible();
  expect(screen.getByText(/提交表单即可启动一个批次/)).toBeVisible();
  expect(englishWordsIn()).toEqual([]);
});

test('in Chinese, pages wait for the workspaces under a Chinese name', () => {
  inChinese();
  render(<PairsPage config={config} workspaceId={null} workspacesPending />);
  expect(screen.getByRole('status', { name: '正在加载工作空间' })).toBeInTheDocument();
  expect(englishWordsIn()).toEqual([]);
});

function renderObject(path: string, workspaceId: string | null) {
  return render(
    <Routes>
      <Route
        path={routes.object}
        element={<ObjectPage config={config} workspaceId={workspaceId} />}
      />
    </Routes>,
    { route: path },
  );
}

test('in Chinese, an unknown class and a malformed ID are explained, the URL’s words kept as data', () => {
  inChinese();
  const { unmount } = renderObject('/objects/widgets/x', 'ws000000000000000000000000000001');
  expect(screen.getByRole('alert')).toHaveTextContent(
    '不存在对象类型“widgets”：对象只能是告警、事件或情报。',
  );
  expect(screen.getByText('widgets')).toHaveAttribute('translate', 'no');
  expect(englishWordsIn()).toEqual([]);
  unmount();

  renderObject('/objects/incidents/not-an-id', 'ws000000000000000000000000000001');
  expect(screen.getByRole('alert')).toHaveTextContent('此工作空间中没有 ID 为 not-an-id 的事件。');
  expect(englishWordsIn()).toEqual([]);
});

test('in Chinese, the object page without a workspace says what to do', () => {
  inChinese();
  renderObject('/objects/alerts/x', null);
  expect(screen.getByText('请在页头选择一个工作空间以查看此对象。')).toBeVisible();
  expect(englishWordsIn()).toEqual([]);
});
