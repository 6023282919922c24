import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { expect, test } from 'vitest';
import { server } from '../testing/msw';
import { render } from '../testing/render';
import { Shell } from './shell';

const PID = '0a1b2c3d4e5f40718293a4b5c6d7e8f9';
const WS1 = '11111111-2222-4333-8444-555555555555';
const WS2 = '11111111-2222-4333-8444-666666666666';

/**
 * The header's "project <ID>" in `root`: the word is the interface's (translated), the ID alone is
 * data (`translate="no"`).
 */
function projectLine(root: HTMLElement, word = 'project'): HTMLElement {
  const id = within(root).getByText(PID);
  expect(id).toHaveAttribute('translate', 'no');
  const line = id.parentElement as HTMLElement;
  expect(line).toHaveTextContent(`${word} ${PID}`);
  expect(line.closest('[translate="no"]')).toBeNull();
  return line;
}

function config(overrides: Record<string, unknown> = {}) {
  return {
    mode: 'emulator',
    projectId: PID,
    endpoint: 'http://127.0.0.1:8081',
    region: null,
    user: 'local',
    maxBatchIds: 100000,
    maxIdsPerCall: 100,
    ...overrides,
  };
}

// A console on loopback without an access token: no sign-in.
const noSignIn = http.get('/api/session', () =>
  HttpResponse.json({
    authenticated: false,
    user: null,
    method: 'none',
    expires_at: null,
    sign_in_required: false,
    sign_in_methods: [],
    region: null,
  }),
);

const emptyHistory = http.get('/api/batches', () =>
  HttpResponse.json({ items: [], total: 0, offset: 0, limit: 50 }),
);

function workspacesHandler() {
  return http.get(`/v1/${PID}/workspaces`, () =>
    HttpResponse.json({
      workspaces: [
        { id: WS1, name: 'SOC Operations' },
        { id: WS2, name: 'Threat Hunting Lab' },
      ],
      count: 2,
    }),
  );
}

/** A console on the emulator with two workspaces and an empty history. */
function serveEmulatorConsole() {
  server.use(
    noSignIn,
    http.get('/api/config', () => HttpResponse.json(config())),
    workspacesHandler(),
    emptyHistory,
  );
}

test('the header names the console, where it is connected, and offers the workspaces', async () => {
  serveEmulatorConsole();
  render(<Shell />, { route: '/history' });
  const header = await screen.findByRole('banner');
  expect(
    within(header).getByRole('heading', { name: 'SecMaster association console' }),
  ).toBeVisible();
  expect(await within(header).findByText('Emulator')).toBeVisible();
  expect(projectLine(header)).toBeVisible();
  const picker = within(header).getByRole('combobox', { name: 'Workspace' });
  await screen.findByDisplayValue('SOC Operations');
  await userEvent.click(picker);
  const other = await screen.findByRole('option', { name: 'Threat Hunting Lab' });
  // A workspace's name is SecMaster's own (data): never translated.
  expect(within(other).getByText('Threat Hunting Lab')).toHaveAttribute('translate', 'no');
  await userEvent.click(other);
  expect(picker).toHaveValue('Threat Hunting Lab');
  expect(window.localStorage.getItem('secmaster-console.workspace')).toBe(WS2);
  expect(screen.getByRole('link', { name: 'Associate' })).toBeVisible();
  expect(screen.getByRole('link', { name: 'History' })).toHaveAttribute('aria-current', 'page');
});

test('a server that cannot be reached gives a readable message, not a blank screen', async () => {
  server.use(
    noSignIn,
    http.get('/api/config', () =>
      HttpResponse.json(
        { code: 'UNAVAILABLE', message: 'The ledger is not ready' },
        { status: 503 },
      ),
    ),
    emptyHistory,
  );
  render(<Shell />);
  const alert = await screen.findByRole('alert');
  expect(alert).toHaveTextContent('The console server could not be reached');
  expect(alert).toHaveTextContent('The ledger is not ready');
});

test('SecMaster mode shows the region', async () => {
  server.use(
    noSignIn,
    http.get('/api/config', () =>
      HttpResponse.json(config({ mode: 'secmaster', region: 'cn-north-4', endpoint: 'https://x' })),
    ),
    workspacesHandler(),
    emptyHistory,
  );
  render(<Shell />, { route: '/history' });
  expect(await screen.findByText('SecMaster cn-north-4')).toBeVisible();
});

test('the header\'s tools fold behind "Menu", which opens and closes them (Escape too)', async () => {
  serveEmulatorConsole();
  render(<Shell />, { route: '/history' });
  const menu = await screen.findByRole('button', { name: 'Menu' });
  expect(menu).toHaveAttribute('aria-expanded', 'false');
  const panel = document.getElementById(menu.getAttribute('aria-controls') ?? '');
  expect(panel).toContainElement(await screen.findByRole('combobox', { name: 'Workspace' }));
  expect(panel).toContainElement(screen.getByRole('navigation', { name: 'Main' }));
  await screen.findByText(PID);
  await userEvent.click(menu);
  expect(menu).toHaveAttribute('aria-expanded', 'true');
  expect(panel).toHaveAttribute('data-open');
  // The panel repeats the project ID (the narrow bar has no room for it).
  expect(projectLine(panel as HTMLElement)).toBeInTheDocument();
  await userEvent.click(within(panel as HTMLElement).getByRole('link', { name: 'History' }));
  await userEvent.keyboard('{Escape}');
  expect(menu).toHaveAttribute('aria-expanded', 'false');
  expect(menu).toHaveFocus();
  // Going to another page closes it too.
  await userEvent.click(menu);
  await userEvent.click(within(panel as HTMLElement).getByRole('link', { name: 'Pairs' }));
  expect(menu).toHaveAttribute('aria-expanded', 'false');
});

test('Escape that closes a dialog opened over the open menu leaves the menu open', async () => {
  serveEmulatorConsole();
  render(<Shell />, { route: '/history' });
  const menu = await screen.findByRole('button', { name: 'Menu' });
  await userEvent.click(menu);
  expect(menu).toHaveAttribute('aria-expanded', 'true');
  await userEvent.keyboard('?');
  const dialog = await screen.findByRole('dialog', { name: 'Keyboard shortcuts' });
  await waitFor(() => expect(dialog).toContainElement(document.activeElement as HTMLElement));
  await userEvent.keyboard('{Escape}');
  await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
  expect(menu).toHaveAttribute('aria-expanded', 'true');
});

test('the Language choice switches the header to Chinese at once, and is remembered', async () => {
  serveEmulatorConsole();
  render(<Shell />, { route: '/history' });
  const header = await screen.findByRole('banner');
  await userEvent.click(within(header).getByRole('combobox', { name: 'Language' }));
  await userEvent.click(await screen.findByRole('option', { name: '简体中文' }));
  expect(
    await within(header).findByRole('heading', { name: 'SecMaster 关联控制台' }),
  ).toBeVisible();
  expect(within(header).getByRole('combobox', { name: '语言' })).toHaveValue('简体中文');
  expect(within(header).getByRole('combobox', { name: '工作空间' })).toBeVisible();
  // The word before the project's ID is translated; the ID stays as it is.
  expect(projectLine(header, '项目')).toBeVisible();
  expect(screen.getByRole('link', { name: '历史' })).toHaveAttribute('aria-current', 'page');
  expect(document.documentElement.lang).toBe('zh-CN');
  expect(document.title).toBe('SecMaster 关联控制台');
  expect(window.localStorage.getItem('secmaster-console.language')).toBe('zh-CN');
});
