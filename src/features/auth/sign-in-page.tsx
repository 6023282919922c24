import {
  Alert,
  Button,
  Paper,
  PasswordInput,
  Stack,
  Tabs,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { zodResolver } from '@hookform/resolvers/zod';
import { useState, type ReactNode } from 'react';
import { useForm } from 'react-hook-form';
import { z } from 'zod';
import { ApiError } from '../../api/client';
import type { Session, SignInMethod } from '../../api/schemas';
import { t, tKey, useT, type MessageKey } from '../../i18n/i18n';
import { ErrorText } from '../../lib/error-text';
import { useSignIn } from './queries';

// Default names would contain "password"/"access token" and clash with the fields' labels.
const revealButtonProps = () => ({ 'aria-label': t('signin.showCharacters') });

/** The region the forms give as an example (a code: data, not translated). */
const REGION_EXAMPLE = 'cn-north-4';

// Messages as keys (the language is known only at render: fieldError).
const accessTokenFormSchema = z.object({
  token: z
    .string()
    .trim()
    .min(1, 'signin.enterToken' satisfies MessageKey),
});

const iamFormSchema = z.object({
  user: z
    .string()
    .trim()
    .min(1, 'signin.enterUser' satisfies MessageKey)
    .max(64, 'signin.atMost64' satisfies MessageKey),
  password: z.string().min(1, 'signin.enterPassword' satisfies MessageKey),
  account: z
    .string()
    .trim()
    .min(1, 'signin.enterAccount' satisfies MessageKey)
    .max(64, 'signin.atMost64' satisfies MessageKey),
  region: z
    .string()
    .trim()
    .regex(/^[a-z]{2}-[a-z]+-\d+$/, 'signin.regionFormat' satisfies MessageKey),
});

/** A field's error (a message key from the schemas) in the current language. */
function fieldError(message: string | undefined): ReactNode {
  if (!message) return undefined;
  if (message === 'signin.regionFormat')
    return t('signin.regionFormat', { example: REGION_EXAMPLE });
  return tKey(message);
}

/** Too many attempts are said plainly (the server may send no words of its own). */
function isTooManyAttempts(err: unknown): boolean {
  return err instanceof ApiError && err.status === 429 && err.code.startsWith('HTTP_');
}

function SignInError({ error }: { error: unknown }) {
  const t = useT();
  return (
    <Alert color="red" title={t('signin.failed')} role="alert">
      {isTooManyAttempts(error) ? t('signin.tooManyAttempts') : <ErrorText error={error} />}
    </Alert>
  );
}

function AccessTokenForm() {
  const t = useT();
  const signIn = useSignIn();
  const { register, handleSubmit, resetField, formState } = useForm({
    resolver: zodResolver(accessTokenFormSchema),
    defaultValues: { token: '' },
  });
  const submit = handleSubmit(({ token }) =>
    signIn.mutate(
      { method: 'access-token', token },
      { onError: () => resetField('token', { keepError: true }) },
    ),
  );
  return (
    <form onSubmit={(e) => void submit(e)} noValidate>
      <Stack gap="sm">
        <PasswordInput
          label={t('signin.accessToken')}
          description={t('signin.accessTokenHelp')}
          autoComplete="current-password"
          spellCheck={false}
          visibilityToggleButtonProps={revealButtonProps()}
          error={fieldError(formState.errors.token?.message)}
          // Mantine's PasswordInput leaves this out, unlike its TextInput.
          aria-invalid={!!formState.errors.token}
          {...register('token')}
        />
        {signIn.isError && <SignInError error={signIn.error} />}
        <Button type="submit" loading={signIn.isPending}>
          {t('signin.signIn')}
        </Button>
      </Stack>
    </form>
  );
}

function IamForm({ region }: { region: string | null }) {
  const t = useT();
  const signIn = useSignIn();
  const { register, handleSubmit, resetField, formState } = useForm({
    resolver: zodResolver(iamFormSchema),
    defaultValues: { user: '', password: '', account: '', region: region ?? '' },
  });
  const submit = handleSubmit((values) =>
    signIn.mutate(
      { method: 'iam', ...values },
      { onError: () => resetField('password', { keepError: true }) },
    ),
  );
  return (
    <form onSubmit={(e) => void submit(e)} noValidate>
      <Stack gap="sm">
        <TextInput
          label={t('signin.account')}
          description={t('signin.accountHelp')}
          autoComplete="organization"
          autoCapitalize="none"
          spellCheck={false}
          error={fieldError(formState.errors.account?.message)}
          {...register('account')}
        />
        <TextInput
          label={t('signin.userName')}
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          error={fieldError(formState.errors.user?.message)}
          {...register('user')}
        />
        <PasswordInput
          label={t('signin.password')}
          autoComplete="current-password"
          visibilityToggleButtonProps={revealButtonProps()}
          error={fieldError(formState.errors.password?.message)}
          // Mantine's PasswordInput leaves this out, unlike its TextInput.
          aria-invalid={!!formState.errors.password}
          {...register('password')}
        />
        <TextInput
          label={t('signin.region')}
          description={t('signin.regionHelp', { example: REGION_EXAMPLE })}
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          error={fieldError(formState.errors.region?.message)}
          {...register('region')}
        />
        {signIn.isError && <SignInError error={signIn.error} />}
        <Button type="submit" loading={signIn.isPending}>
          {t('signin.signIn')}
        </Button>
      </Stack>
    </form>
  );
}

const methodLabels: Record<SignInMethod, MessageKey> = {
  'access-token': 'signin.methodAccessToken',
  iam: 'signin.methodIam',
};

const panelNames: Record<SignInMethod, MessageKey> = {
  'access-token': 'signin.panelAccessToken',
  iam: 'signin.panelIam',
};

function MethodForm({ method, session }: { method: SignInMethod; session: Session }) {
  return method === 'iam' ? <IamForm region={session.region} /> : <AccessTokenForm />;
}

/** Shown instead of the console while the server requires a sign-in and there is no session. */
export function SignInPage({ session }: { session: Session }) {
  const t = useT();
  const methods = session.sign_in_methods;
  const [method, setMethod] = useState<SignInMethod | null>(methods[0] ?? null);

  return (
    <Paper
      withBorder
      p="lg"
      maw={420}
      mx="auto"
      mt="xl"
      component="section"
      aria-labelledby="sign-in-title"
    >
      <Title order={2} size="h4" id="sign-in-title" mb="xs">
        {t('signin.signIn')}
      </Title>
      <Text size="sm" c="dimmed" mb="md">
        {t('signin.intro')}
      </Text>
      {methods.length === 0 && (
        <Alert color="red" title={t('signin.noMethodTitle')} role="alert">
          {t('signin.noMethod')}
        </Alert>
      )}
      {methods.length === 1 && method && <MethodForm method={method} session={session} />}
      {methods.length > 1 && (
        <Tabs
          value={method}
          onChange={(v) => setMethod(methods.find((m) => m === v) ?? null)}
          keepMounted={false}
        >
          <Tabs.List mb="md" grow>
            {methods.map((m) => (
              <Tabs.Tab key={m} value={m}>
                {tKey(methodLabels[m])}
              </Tabs.Tab>
            ))}
          </Tabs.List>
          {methods.map((m) => (
            // Named apart from its tab, so that the label "Access token" names only the field.
            <Tabs.Panel key={m} value={m} aria-labelledby={`sign-in-panel-${m}`}>
              <span id={`sign-in-panel-${m}`} hidden>
                {tKey(panelNames[m])}
              </span>
              <MethodForm method={m} session={session} />
            </Tabs.Panel>
          ))}
        </Tabs>
      )}
    </Paper>
  );
}
