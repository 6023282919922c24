import { MantineProvider } from '@mantine/core';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { lazy, Suspense } from 'react';
import { MemoryRouter, Route, Routes, useNavigate } from 'react-router';
import { expect, test } from 'vitest';
import { newWorkState, useArrivalFocus } from './arrival-focus';

function Form({ withState }: { withState: boolean }) {
  const navigate = useNavigate();
  return (
    <>
      <h2>Link or unlink objects</h2>
      <button
        type="button"
        onClick={() => void navigate('/batches/b1', withState ? { state: newWorkState } : {})}
      >
        Associate 3 IDs
      </button>
    </>
  );
}

// The move's page draws its heading only once its chunk has loaded.
const LateHeading = lazy(async () => {
  await Promise.resolve();
  return { default: () => <h2>Move alerts</h2> };
});

function Pages({ withState }: { withState: boolean }) {
  useArrivalFocus();
  return (
    <main>
      <Routes>
        <Route path="/" element={<Form withState={withState} />} />
        <Route
          path="/batches/:id"
          element={
            <>
              <h2>Link or unlink objects</h2>
              <h2 data-arrival-focus>Batch</h2>
            </>
          }
        />
        <Route
          path="/moves/:id"
          element={
            <Suspense fallback={null}>
              <LateHeading />
            </Suspense>
          }
        />
      </Routes>
    </main>
  );
}

function renderAt(withState: boolean, path = '/') {
  render(
    <MantineProvider env="test">
      <MemoryRouter initialEntries={[path]}>
        <Pages withState={withState} />
      </MemoryRouter>
    </MantineProvider>,
  );
}

test('after a submit, focus moves to the new batch’s heading (the marked one)', async () => {
  renderAt(true);
  await userEvent.click(screen.getByRole('button', { name: 'Associate 3 IDs' }));
  expect(screen.getByRole('heading', { name: 'Batch' })).toHaveFocus();
});

test('an ordinary navigation leaves focus alone', async () => {
  renderAt(false);
  const submit = screen.getByRole('button', { name: 'Associate 3 IDs' });
  await userEvent.click(submit);
  expect(screen.getByRole('heading', { name: 'Batch' })).not.toHaveFocus();
});

test('a heading drawn later (a lazy page) takes focus when it appears', async () => {
  render(
    <MemoryRouter initialEntries={[{ pathname: '/moves/m1', state: newWorkState }]}>
      <Pages withState />
    </MemoryRouter>,
  );
  const heading = await screen.findByRole('heading', { name: 'Move alerts' });
  expect(heading).toHaveFocus();
  expect(heading).toHaveAttribute('tabindex', '-1');
});
