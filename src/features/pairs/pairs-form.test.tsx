import { cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { afterEach, expect, test, vi } from 'vitest';
import { MAX_PAIRS_SUBJECTS } from '../../api/schemas';
import { deleteDraft, readDraft } from '../../lib/draft-store';
import { batchSummary } from '../../testing/fixtures';
import { englishWordsIn, inChinese } from '../../testing/i18n';
import { server } from '../../testing/msw';
import { render } from '../../testing/render';
import { PairsForm, pairsDraftKey } from './pairs-form';

const PROJECT = '0123456789abcdef0123456789abcdef';
const WORKSPACE = 'fedcba98-7654-3210-fedc-ba9876543210';
const I1 = 'incident00000000000000000000000001';
const I2 = 'incident00000000000000000000000002';
const A1 = '3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b';
const A2 = '0c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f';
const A3 = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6';
const GROUP = '99999999-8888-4777-8666-555555555555';

afterEach(async () => {
  cleanup();
  await deleteDraft(pairsDraftKey(PROJECT, WORKSPACE));
});

function setup() {
  const onBatchCreated = vi.fn();
  const user = userEvent.setup();
  const view = render(
    <PairsForm projectId={PROJECT} workspaceId={WORKSPACE} onBatchCreated={onBatchCreated} />,
  );
  return { user, onBatchCreated, view };
}

function servePost(posted: unknown[]) {
  server.use(
    http.post('/api/batches', async ({ request }) => {
      posted.push(await request.json());
      return HttpResponse.json(batchSummary({ id: GROUP, kind: 'pairs', subjects: 2 }), {
        status: 201,
      });
    }),
  );
}

test('a pasted CSV shows the live summary and its invalid lines; submit posts the pairs', async () => {
  const posted: unknown[] = [];
  servePost(posted);
  const { user, onBatchCreated } = setup();
  const box = screen.getByRole('textbox', { name: 'Pairs' });
  await user.click(box);
  await user.paste(`incident_id,alert_id\n${I1},${A1}\n${I1},${A1}\n${I2},${A2}\n${I2},nope\n`);
  expect(screen.getByRole('status', { name: 'Pairs summary' })).toHaveTextContent(
    '2 pairs · 2 subjects · 1 duplicates · 1 invalid',
  );
  const invalid = screen.getByRole('region', { name: 'Invalid lines' });
  expect(invalid).toHaveTextContent(/line 5: .*nope/);
  expect(invalid).toHaveTextContent('related ID "nope" must be 32 to 64');
  await user.type(screen.getByRole('textbox', { name: 'Reason' }), 'triage');
  await user.click(screen.getByRole('button', { name: 'Associate 2 pairs' }));
  await waitFor(() => expect(onBatchCreated).toHaveBeenCalledWith(GROUP));
  expect(posted).toEqual([
    {
      action: 'associate',
      workspace_id: WORKSPACE,
      dataclass_type: 'incidents',
      related_dataclass_type: 'alerts',
      pairs: [
        { data_object_id: I1, id: A1 },
        { data_object_id: I2, id: A2 },
      ],
      reason: 'triage',
    },
  ]);
});

test('"Pairs file" reads a TSV file into the box', async () => {
  const { user } = setup();
  const file = new File([`${I1}\t${A1}\n${I2}\t${A2}\n${I2}\t${A3}\n`], 'pairs.tsv', {
    type: 'text/tab-separated-values',
  });
  await user.upload(screen.getByLabelText('Pairs file'), file);
  await waitFor(() =>
    expect(screen.getByRole('status', { name: 'Pairs summary' })).toHaveTextContent(
      '3 pairs · 2 subjects · 0 duplicates · 0 invalid',
    ),
  );
  expect(screen.getByRole('textbox', { name: 'Pairs' })).toHaveValue(
    `${I1}\t${A1}\n${I2}\t${A2}\n${I2}\t${A3}\n`,
  );
});

test('a cancel asks first: Back sends nothing, Confirm sends the cancel', async () => {
  const posted: unknown[] = [];
  servePost(posted);
  const { user, onBatchCreated } = setup();
  await user.click(screen.getByRole('textbox', { name: 'Pairs' }));
  await user.paste(`${I1},${A1}\n`);
  await user.click(screen.getByRole('radio', { name: 'Cancel association' }));
  await user.click(screen.getByRole('button', { name: 'Cancel association of 1 pair' }));
  await user.click(await screen.findByRole('button', { name: 'Back' }));
  expect(posted).toEqual([]);
  await user.click(screen.getByRole('button', { name: 'Cancel association of 1 pair' }));
  await user.click(await screen.findByRole('button', { name: 'Confirm cancel association' }));
  await waitFor(() => expect(onBatchCreated).toHaveBeenCalledWith(GROUP));
  expect(posted).toMatchObject([{ action: 'cancel', pairs: [{ data_object_id: I1, id: A1 }] }]);
});

test('nothing valid: the submit is disabled and says why', () => {
  setup();
  const submit = screen.getByRole('button', { name: 'Associate 0 pairs' });
  expect(submit).toBeDisabled();
  expect(submit).toHaveAccessibleDescription(/Paste or choose a file of pairs/);
});

test('more subjects than a batch of pairs takes: the submit is disabled and says to split the file', async () => {
  const { user } = setup();
  const lines = Array.from(
    { length: MAX_PAIRS_SUBJECTS + 1 },
    (_, i) => `5ab1ec70-0000-4000-8000-${String(i).padStart(12, '0')},${A1}`,
  );
  const file = new File([lines.join('\n')], 'pairs.csv', { type: 'text/csv' });
  await user.upload(screen.getByLabelText('Pairs file'), file);
  // Reading and parsing 2,001 lines takes well under a second alone, several under a full run's
  // load: the wait is an upper bound, it ends as soon as the button says 2,001.
  const submit = await screen.findByRole(
    'button',
    { name: 'Associate 2,001 pairs' },
    { timeout: 30_000 },
  );
  expect(submit).toBeDisabled();
  expect(submit).toHaveAccessibleDescription(
    /Too many subjects: 2,001 .*at most 2,000.*split the file/,
  );
});

test('the draft (pairs text, classes, action) survives a remount', async () => {
  const first = setup();
  await first.user.click(screen.getByRole('textbox', { name: 'Pairs' }));
  await first.user.paste(`${A1},${I1}\n`);
  await first.user.selectOptions(screen.getByRole('combobox', { name: 'Subject class' }), 'alerts');
  await first.user.selectOptions(
    screen.getByRole('combobox', { name: 'Related class' }),
    'incidents',
  );
  // Saved after a pause in typing.
  await waitFor(async () =>
    expect(await readDraft(pairsDraftKey(PROJECT, WORKSPACE))).toMatchObject({
      pairs: `${A1},${I1}\n`,
      relatedClass: 'incidents',
    }),
  );
  first.view.unmount();
  setup();
  await waitFor(() =>
    expect(screen.getByRole('textbox', { name: 'Pairs' })).toHaveValue(`${A1},${I1}\n`),
  );
  expect(screen.getByRole('combobox', { name: 'Subject class' })).toHaveValue('alerts');
  expect(screen.getByRole('status', { name: 'Pairs summary' })).toHaveTextContent(
    '1 pairs · 1 subjects',
  );
});

test('in Chinese: the summary, the invalid lines and their reasons, the submit and the confirmation', async () => {
  const { user } = setup();
  inChinese();
  const box = screen.getByRole('textbox', { name: '配对' });
  await user.click(box);
  await user.paste(
    `incident_id,alert_id\n${I1},${A1}\n${I1},${A1}\n${I2},${A2}\n${I2},nope\n${I2},${I2}\n`,
  );
  expect(screen.getByRole('status', { name: '配对摘要' })).toHaveTextContent(
    '配对 2 对 · 主对象 2 个 · 重复 1 个 · 无效 2 个',
  );
  const invalid = screen.getByRole('region', { name: '无效行' });
  expect(invalid).toHaveTextContent('第 5 行：');
  expect(invalid).toHaveTextContent('关联对象 ID“nope”必须由 32 到 64 个字母');
  expect(invalid).toHaveTextContent('主对象与关联对象是同一个对象');
  expect(within(invalid).getByText('nope')).toHaveAttribute('translate', 'no');
  expect(screen.getByRole('button', { name: '关联 2 对' })).toBeEnabled();
  // This form's own parts (the class options and the reason field are src/lib's).
  for (const el of [
    invalid,
    screen.getByRole('status', { name: '配对摘要' }),
    screen.getByRole('textbox', { name: '配对' }).closest('.mantine-InputWrapper-root'),
    screen.getByLabelText('配对文件').closest('.mantine-InputWrapper-root'),
    screen.getByRole('radiogroup', { name: '操作' }),
  ])
    expect(englishWordsIn(el as HTMLElement)).toEqual([]);
  await user.click(screen.getByRole('radio', { name: '取消关联' }));
  await user.click(screen.getByRole('button', { name: '取消关联 2 对' }));
  const dialog = await screen.findByRole('dialog', { name: '取消关联？' });
  const text = within(dialog).getByText(/将在工作空间/);
  expect(text).toHaveTextContent(
    `将在工作空间 ${WORKSPACE} 中取消 2 对关联：告警与 2 个事件之间的关联。`,
  );
  expect(englishWordsIn(text)).toEqual([]);
});
