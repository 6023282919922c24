import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { expect, test } from 'vitest';
import { ApiError } from '../../api/client';
import type { DataObjectDetail } from '../../api/schemas';
import { englishWordsIn, inChinese } from '../../testing/i18n';
import { render } from '../../testing/render';
import { ObjectLoadError, ObjectSummary } from './object-summary';

const ID = '3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b';

function detail(
  title: string | undefined,
  { severity = 'High', status = 'Open' }: { severity?: string; status?: string } = {},
): DataObjectDetail {
  return {
    id: ID,
    data_object: {
      id: ID,
      title,
      severity,
      handle_status: status,
      create_time: '2025-01-01T10:00:00.000Z',
    },
  } as DataObjectDetail;
}

test('an object with a title is headed by it', () => {
  render(<ObjectSummary dataclass="incidents" detail={detail('Brute force campaign')} />);
  expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Brute force campaign');
  expect(screen.queryByRole('button', { name: 'Show the full ID' })).toBeNull();
});

test.each([
  ['no title', ''],
  ['its ID as its title', ID],
])(
  'an object with %s is headed by its short ID, the full ID a click away to copy',
  async (_, title) => {
    const user = userEvent.setup();
    render(<ObjectSummary dataclass="alerts" detail={detail(title)} />);
    const heading = screen.getByRole('heading', { level: 1 });
    expect(heading).toHaveTextContent(/^3f2a9c1e$/);
    expect(within(heading).getByTitle(ID).style.fontFamily).toMatch(/monospace/);

    await user.click(screen.getByRole('button', { name: 'Show the full ID' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText(ID)).toBeVisible();
    expect(within(dialog).getByRole('button', { name: 'Copy object ID' })).toBeInTheDocument();
  },
);

test('in Chinese the summary and its errors read in Chinese, the data left as it is', () => {
  inChinese();
  const { unmount } = render(
    <ObjectSummary dataclass="incidents" detail={detail('钓鱼邮件活动')} />,
  );
  expect(screen.getByText('事件')).toBeInTheDocument();
  expect(screen.getByText('严重程度')).toBeInTheDocument();
  expect(screen.getByText('创建时间')).toBeInTheDocument();
  // Year first, as in English.
  expect(screen.getByText(/^2025-01-01 \d\d:\d\d$/)).toBeInTheDocument();
  // SecMaster's severities and statuses are a fixed set: worded in Chinese, as its console does.
  expect(screen.getByText('高危').closest('[translate="no"]')).toBeNull();
  expect(screen.getByText('打开').closest('[translate="no"]')).toBeNull();
  expect(englishWordsIn()).toEqual([]);
  unmount();

  render(
    <ObjectLoadError
      dataclass="alerts"
      objectId={ID}
      error={new ApiError({ status: 404, code: 'NOT_FOUND', message: 'not found' })}
    />,
  );
  expect(screen.getByRole('alert')).toHaveTextContent(`此工作空间中没有 ID 为 ${ID} 的告警。`);
  expect(screen.getByText('未找到')).toBeInTheDocument();
  expect(englishWordsIn()).toEqual([]);
});

test('a severity or status outside SecMaster’s set is shown as it is, as data', () => {
  const values = { severity: 'Critical', status: 'Pending review' };
  const { unmount } = render(<ObjectSummary dataclass="alerts" detail={detail('x', values)} />);
  for (const text of ['Critical', 'Pending review'])
    expect(screen.getByText(text)).toHaveAttribute('translate', 'no');
  unmount();
  inChinese();
  render(<ObjectSummary dataclass="alerts" detail={detail('x', values)} />);
  for (const text of ['Critical', 'Pending review'])
    expect(screen.getByText(text)).toHaveAttribute('translate', 'no');
  expect(englishWordsIn()).toEqual([]);
});

test('in English the values SecMaster defines read as SecMaster writes them', () => {
  render(
    <ObjectSummary
      dataclass="incidents"
      detail={detail('x', { severity: 'Fatal', status: 'Block' })}
    />,
  );
  expect(screen.getByText('Fatal')).toBeVisible();
  expect(screen.getByText('Block')).toBeVisible();
});
