import {
  ActionIcon,
  Alert,
  Badge,
  CheckIcon,
  Combobox,
  Group,
  Loader,
  Select,
  Text,
  Title,
  useComputedColorScheme,
  useMantineColorScheme,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Suspense, useEffect, useRef, useState } from 'react';
import { NavLink, Route, Routes, useLocation } from 'react-router';
import { describeError } from '../api/client';
import { consoleQueries } from '../api/console-queries';
import { inertText } from '../api/format';
import { secmasterQueries } from '../api/secmaster-queries';
import type { ConsoleConfig } from '../api/schemas';
import { mustSignIn, sessionQueries, useSignInRequiredWatch } from '../features/auth/queries';
import { SessionExpiryBanner } from '../features/auth/session-expiry-banner';
import { SignedInUser } from '../features/auth/signed-in-user';
import { FindObject } from '../features/objects/find-object';
import { RunningWork } from '../features/running/running-work';
import { paths, routes } from '../lib/paths';
import { useI18n, useT } from '../i18n/i18n';
import { languageNames, languages, isLanguage } from '../i18n/languages';
import { switchLanguage } from '../i18n/load';
import { useArrivalFocus } from './arrival-focus';
import { AssociatePage } from './associate-page';
import { KeyboardShortcuts } from './keyboard-shortcuts';
import { LazyHistoryPage, LazyObjectPage, LazySignInPage } from './lazy-features';
import { MovePage } from './move-page';
import { PairsPage } from './pairs-page';
import { preloadRoute } from './preload-route';
import classes from './shell.module.css';
import { useWorkspaceChoice } from './use-workspace-choice';

function ColorSchemeToggle() {
  const t = useT();
  const { setColorScheme } = useMantineColorScheme();
  const computed = useComputedColorScheme('light');
  const next = computed === 'dark' ? 'light' : 'dark';
  // A native `title` as the hint: Mantine's Tooltip would put floating-ui's interactions on the
  // first page for this one button.
  return (
    <ActionIcon
      variant="default"
      size="md"
      aria-label={t('shell.switchTheme', { to: next })}
      title={t('shell.switchTheme', { to: next })}
      onClick={() => setColorScheme(next)}
    >
      <span aria-hidden="true">{computed === 'dark' ? '☀' : '☾'}</span>
    </ActionIcon>
  );
}

function ConnectionBadge({ config }: { config: ConsoleConfig }) {
  const t = useT();
  const where =
    config.mode === 'emulator'
      ? t('shell.emulator')
      : t('shell.secmasterAt', { where: config.region ?? config.endpoint });
  return (
    <Group gap={6} wrap="nowrap" className={classes.connection}>
      {/* The badge keeps its words at any width (it shrinks last, and then cuts with an ellipsis). */}
      <Badge
        variant="light"
        color={config.mode === 'emulator' ? 'grape' : 'teal'}
        radius="sm"
        className={classes.badge}
        title={where}
      >
        {where}
      </Badge>
      <ProjectId config={config} className={classes.wideOnly} />
    </Group>
  );
}

function ProjectId({
  config,
  className,
}: {
  config: ConsoleConfig;
  className?: string | undefined;
}) {
  const t = useT();
  // The word is the interface's; the ID alone is data (untranslated).
  return (
    <Text size="xs" c="dimmed" title={t('shell.projectIdTitle')} className={className}>
      {t('shell.project', {
        id: (
          <Text key="id" span inherit ff="monospace" translate="no">
            {config.projectId}
          </Text>
        ),
      })}
    </Text>
  );
}

/**
 * The header's tools (find, workspace, navigation, user, theme). On a wide screen they sit in the
 * bar; on a narrow one they fold behind the button "Menu", which opens them as a panel under the
 * bar (closed again by Escape, by the button, or by going to another page).
 */
function HeaderMenu({
  children,
  whenOpen,
}: {
  children: React.ReactNode;
  /** Shown only in the opened panel (what the wide bar shows elsewhere). */
  whenOpen?: React.ReactNode;
}) {
  const t = useT();
  const [open, setOpen] = useState(false);
  const { pathname } = useLocation();
  const [openedAt, setOpenedAt] = useState(pathname);
  const button = useRef<HTMLButtonElement>(null);
  if (open && openedAt !== pathname) setOpen(false);
  useEffect(() => {
    if (!open) return;
    // Escape anywhere folds it (a list of a field in it closes first: it handles the key).
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented) return;
      // An Escape inside a dialog (opened over the menu) is the dialog's: it closes that alone.
      if (e.target instanceof Element && e.target.closest('[role="dialog"]')) return;
      setOpen(false);
      button.current?.focus();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [open]);
  return (
    <>
      <ActionIcon
        ref={button}
        variant="default"
        size="md"
        className={classes.menuButton}
        aria-label={t('shell.menu')}
        aria-expanded={open}
        aria-controls="header-menu"
        onClick={() => {
          setOpenedAt(pathname);
          setOpen((o) => !o);
        }}
      >
        <span aria-hidden="true">{open ? '✕' : '☰'}</span>
      </ActionIcon>
      <div id="header-menu" className={classes.menu} data-open={open || undefined}>
        {open && whenOpen}
        {children}
      </div>
    </>
  );
}

function Workspace({
  config,
  workspaceId,
  onChange,
}: {
  config: ConsoleConfig;
  workspaceId: string | null;
  onChange: (id: string) => void;
}) {
  const t = useT();
  const workspaces = useQuery(secmasterQueries.workspaces(config.projectId));
  const data = (workspaces.data?.workspaces ?? []).map((w) => ({
    value: w.id,
    label: inertText(w.name),
  }));
  return (
    <Select
      label={t('shell.workspace')}
      size="xs"
      data={data}
      value={workspaceId}
      onChange={(v) => v && onChange(v)}
      allowDeselect={false}
      placeholder={workspaces.isPending ? t('shell.loading') : t('shell.chooseWorkspace')}
      error={workspaces.isError ? describeError(workspaces.error) : undefined}
      classNames={{ root: classes.workspace }}
      // Workspace names are SecMaster's own (data): marked untranslated, as Mantine draws them.
      renderOption={({ option, checked }) => (
        <>
          {checked && <CheckIcon className={Combobox.classes.optionsDropdownCheckIcon} />}
          <span translate="no">{option.label}</span>
        </>
      )}
    />
  );
}

/** The interface's language; the choice is remembered in this browser. */
function LanguageChoice() {
  const { t, language } = useI18n();
  const [failed, setFailed] = useState(false);
  return (
    <Select
      label={t('shell.language')}
      error={failed ? t('shell.languageFailed') : undefined}
      size="xs"
      data={languages.map((l) => ({ value: l, label: languageNames[l] }))}
      // Each language is named in itself (and marked as such for screen readers and translators).
      renderOption={({ option }) => (
        <span lang={option.value} translate="no">
          {option.label}
        </span>
      )}
      value={language}
      onChange={(v) => {
        if (!isLanguage(v)) return;
        setFailed(false);
        // Its words are a chunk away: a network failure keeps the language shown, and says so.
        switchLanguage(v).catch(() => setFailed(true));
      }}
      allowDeselect={false}
      classNames={{ root: classes.language }}
    />
  );
}

export function Shell() {
  const t = useT();
  const session = useQuery(sessionQueries.current());
  useSignInRequiredWatch();
  // The sign-in gate: nothing of the console is read or shown until the session allows it.
  const consoleOpen = !!session.data && !mustSignIn(session.data);
  const queryClient = useQueryClient();
  const { pathname } = useLocation();
  // main.tsx started the first route's reads; in-app navigations start theirs here.
  useEffect(() => preloadRoute(queryClient, pathname), [queryClient, pathname]);
  useArrivalFocus();
  // The tab's title (this title, or the progress of running work) is kept by RunningWork below.
  const appTitle = t('shell.appTitle');
  const config = useQuery({ ...consoleQueries.config(), enabled: consoleOpen });
  const workspaces = useQuery({
    ...secmasterQueries.workspaces(config.data?.projectId ?? ''),
    enabled: consoleOpen && !!config.data,
  });
  const [workspaceId, setWorkspaceId] = useWorkspaceChoice(
    workspaces.data?.workspaces.map((w) => w.id) ?? null,
  );

  return (
    // Plain landmarks (banner, main) instead of Mantine's AppShell, which is large and of which
    // only a fixed header was used.
    <div className={classes.shell}>
      <header className={classes.header}>
        <div className={classes.bar}>
          <div className={classes.brand}>
            <Title order={1} size="h4" className={classes.title}>
              {appTitle}
            </Title>
            {consoleOpen && config.data && <ConnectionBadge config={config.data} />}
          </div>
          <div className={classes.tools}>
            <RunningWork enabled={consoleOpen} />
            <HeaderMenu
              whenOpen={
                consoleOpen &&
                config.data && <ProjectId config={config.data} className={classes.narrowOnly} />
              }
            >
              {consoleOpen && config.data && workspaceId && (
                <FindObject projectId={config.data.projectId} workspaceId={workspaceId} />
              )}
              {consoleOpen && config.data && (
                <Workspace
                  config={config.data}
                  workspaceId={workspaceId}
                  onChange={setWorkspaceId}
                />
              )}
              {consoleOpen && (
                <nav aria-label={t('shell.mainNav')} className={classes.nav}>
                  <NavLink to={paths.home()} end className={classes.navLink}>
                    {t('shell.navAssociate')}
                  </NavLink>
                  <NavLink to={paths.history()} className={classes.navLink}>
                    {t('shell.navHistory')}
                  </NavLink>
                  <NavLink to={paths.pairs()} className={classes.navLink}>
                    {t('shell.navPairs')}
                  </NavLink>
                </nav>
              )}
              {session.data && <SignedInUser session={session.data} />}
              <LanguageChoice />
              <ColorSchemeToggle />
            </HeaderMenu>
          </div>
        </div>
      </header>
      <main className={classes.main}>
        {(session.isPending || (consoleOpen && config.isPending)) && (
          <Loader size="sm" role="status" aria-label={t('shell.loadingConsole')} />
        )}
        {session.isError && (
          <Alert color="red" title={t('shell.serverUnreachable')} role="alert">
            {describeError(session.error)}
          </Alert>
        )}
        {session.data && !consoleOpen && (
          <Suspense
            fallback={<Loader size="sm" role="status" aria-label={t('shell.loadingSignIn')} />}
          >
            <LazySignInPage session={session.data} />
          </Suspense>
        )}
        {consoleOpen && session.data && <SessionExpiryBanner session={session.data} />}
        {consoleOpen && config.isError && (
          <Alert color="red" title={t('shell.serverUnreachable')} role="alert">
            {describeError(config.error)}
          </Alert>
        )}
        {consoleOpen && config.data && (
          <ConsoleRoutes
            page={{
              config: config.data,
              workspaceId,
              workspacesPending: workspaces.isPending,
            }}
          />
        )}
      </main>
      {consoleOpen && <KeyboardShortcuts />}
    </div>
  );
}

/** What every page of an open console gets: its config and the chosen workspace. */
interface PageContext {
  config: ConsoleConfig;
  workspaceId: string | null;
  /** The workspaces are still being read (a page waits before it says "choose one"). */
  workspacesPending: boolean;
}

function ConsoleRoutes({ page }: { page: PageContext }) {
  const t = useT();
  // The associate page serves "/" and a batch's page (the batch under the form).
  const associate = <AssociatePage {...page} />;
  return (
    <Routes>
      <Route
        path={routes.history}
        element={
          <Suspense
            fallback={<Loader size="sm" role="status" aria-label={t('shell.loadingHistory')} />}
          >
            <LazyHistoryPage />
          </Suspense>
        }
      />
      <Route path={routes.move} element={<MovePage />} />
      <Route path={routes.pairs} element={<PairsPage {...page} />} />
      <Route
        path={routes.object}
        element={
          <Suspense
            fallback={<Loader size="sm" role="status" aria-label={t('shell.loadingObject')} />}
          >
            <LazyObjectPage {...page} />
          </Suspense>
        }
      />
      <Route path={routes.batch} element={associate} />
      <Route path={routes.rest} element={associate} />
    </Routes>
  );
}
