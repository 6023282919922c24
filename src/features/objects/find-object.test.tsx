import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { useLocation } from 'react-router';
import { expect, test } from 'vitest';
import type { DataclassType } from '../../api/schemas';
import { server } from '../../testing/msw';
import { englishWordsIn, inChinese } from '../../testing/i18n';
import { render } from '../../testing/render';
import { FindObject } from './find-object';

const PROJECT = 'project0000000000000000000000001';
const WORKSPACE = 'ws000000000000000000000000000001';
const ALERT_ID = '6f1c2a9e-8d10-4b5f-9f4e-2d6b4f0e9a51';
const INCIDENT_ID = 'incident00000000000000000000000001';

interface SearchBody {
  condition?: { conditions?: { data: [string, string, string] }[] };
}

const objects: Record<DataclassType, { id: string; title: string }[]> = {
  alerts: [
    { id: ALERT_ID, title: 'Brute force on vpn-gw-01' },
    { id: 'alert0000000000000000000000000002', title: 'Phishing mail opened' },
  ],
  incidents: [{ id: INCIDENT_ID, title: 'Brute force campaign' }],
  indicators: [{ id: 'indicator000000000000000000000001', title: '203.0.113.7' }],
};

/** Serves the three class searches like the emulator (`id in` exact, title/name contains). */
function serveSearches() {
  const seen: { dataclass: string; condition: [string, string, string] | undefined }[] = [];
  server.use(
    http.post(
      `/v1/${PROJECT}/workspaces/${WORKSPACE}/soc/:dataclass/search`,
      async ({ request, params }) => {
        const dataclass = params.dataclass as DataclassType;
        const body = (await request.json()) as SearchBody;
        const condition = body.condition?.conditions?.[0]?.data;
        seen.push({ dataclass, condition });
        const [, op, value] = condition ?? ['', '', ''];
        const data = objects[dataclass]
          .filter((o) =>
            op === 'in'
              ? value.split(',').includes(o.id)
              : o.title.toLowerCase().includes(value.toLowerCase()),
          )
          .map((o) => ({
            id: o.id,
            data_object:
              dataclass === 'indicators'
                ? { id: o.id, name: o.title }
                : { id: o.id, title: o.title },
          }));
        return HttpResponse.json({ code: '00000000', total: data.length, data });
      },
    ),
  );
  return seen;
}

function Where() {
  const location = useLocation();
  return <output aria-label="Location">{location.pathname}</output>;
}

function renderFind() {
  return render(
    <>
      <FindObject projectId={PROJECT} workspaceId={WORKSPACE} />
      <Where />
    </>,
  );
}

test('a pasted ID is looked up in every class at once, found in one, and Enter opens its page', async () => {
  const seen = serveSearches();
  renderFind();
  const input = screen.getByRole('combobox', { name: 'Find an object' });
  await userEvent.click(input);
  await userEvent.paste(ALERT_ID.toUpperCase());
  expect(
    await screen.findByRole('option', { name: `alert Brute force on vpn-gw-01 ${ALERT_ID}` }),
  ).toBeVisible();
  // One exact search per class, with the ID as SecMaster stores it (lower case).
  expect(seen.map((s) => s.dataclass).sort()).toEqual(['alerts', 'incidents', 'indicators']);
  for (const s of seen) expect(s.condition).toEqual(['id', 'in', ALERT_ID]);
  expect(screen.getAllByRole('option')).toHaveLength(1);
  await userEvent.keyboard('{Enter}');
  await waitFor(() =>
    expect(screen.getByRole('status', { name: 'Location' })).toHaveTextContent(
      `/objects/alerts/${ALERT_ID}`,
    ),
  );
  expect(input).toHaveValue('');
});

test('an ID found in no class says so', async () => {
  serveSearches();
  renderFind();
  await userEvent.click(screen.getByRole('combobox', { name: 'Find an object' }));
  await userEvent.paste('ffffffff-ffff-4fff-8fff-fffffffffff0');
  expect(
    (await screen.findAllByText('No alert, incident or indicator has this ID')).length,
  ).toBeGreaterThan(0);
  expect(screen.queryAllByRole('option')).toHaveLength(0);
  await userEvent.keyboard('{Enter}');
  expect(screen.getByRole('status', { name: 'Location' })).toHaveTextContent(/^\/$/);
});

test('part of a title finds objects of several classes; a click opens the chosen one', async () => {
  const seen = serveSearches();
  renderFind();
  await userEvent.click(screen.getByRole('combobox', { name: 'Find an object' }));
  await userEvent.type(screen.getByRole('combobox', { name: 'Find an object' }), 'brute');
  expect(
    await screen.findByRole('option', { name: `incident Brute force campaign ${INCIDENT_ID}` }),
  ).toBeVisible();
  expect(screen.getByRole('option', { name: /^alert Brute force on vpn-gw-01/ })).toBeVisible();
  expect(screen.getAllByRole('option')).toHaveLength(2);
  const byClass = Object.fromEntries(seen.map((s) => [s.dataclass, s.condition]));
  expect(byClass).toEqual({
    alerts: ['title', 'contains', 'brute'],
    incidents: ['title', 'contains', 'brute'],
    indicators: ['name', 'contains', 'brute'],
  });
  await userEvent.click(screen.getByRole('option', { name: /^incident / }));
  await waitFor(() =>
    expect(screen.getByRole('status', { name: 'Location' })).toHaveTextContent(
      `/objects/incidents/${INCIDENT_ID}`,
    ),
  );
});

test('a title that matches nothing says so', async () => {
  serveSearches();
  renderFind();
  await userEvent.type(screen.getByRole('combobox', { name: 'Find an object' }), 'zzz-nothing');
  // The typed text is marked as data (its own element) inside the sentence.
  const said = await screen.findAllByText(
    (_, el) => el?.textContent === 'Nothing matches "zzz-nothing"',
  );
  expect(said.length).toBeGreaterThan(0);
});

test('in Chinese, the box, its finds and its empty answers speak Chinese (titles and IDs are data)', async () => {
  inChinese();
  serveSearches();
  render(<FindObject projectId={PROJECT} workspaceId={WORKSPACE} />);
  const input = screen.getByRole('combobox', { name: '查找对象' });
  expect(input).toHaveAttribute('placeholder', '查找对象（ID 或标题）');
  await userEvent.type(input, 'brute');
  expect(
    await screen.findByRole('option', { name: `事件 Brute force campaign ${INCIDENT_ID}` }),
  ).toBeVisible();
  expect(screen.getByRole('listbox', { name: '找到的对象' })).toBeVisible();
  expect(screen.getByText('Brute force campaign')).toHaveAttribute('translate', 'no');
  await waitFor(() => expect(screen.getByText('找到 2 个对象')).toBeInTheDocument());
  expect(englishWordsIn()).toEqual([]);

  await userEvent.clear(input);
  await userEvent.type(input, 'zzz-nothing');
  const said = await screen.findAllByText(
    (_, el) => el?.textContent === '没有与“zzz-nothing”匹配的对象',
  );
  expect(said.length).toBeGreaterThan(0);
  expect(englishWordsIn()).toEqual([]);

  await userEvent.clear(input);
  await userEvent.paste('ffffffff-ffff-4fff-8fff-fffffffffff0');
  expect((await screen.findAllByText('没有告警、事件或情报使用此 ID')).length).toBeGreaterThan(0);
  // The pasted ID is in the box (a field's value, not a label).
  expect(englishWordsIn()).toEqual([]);
});
