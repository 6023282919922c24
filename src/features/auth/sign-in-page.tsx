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
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { z } from 'zod';
import { ApiError, describeError } from '../../api/client';
import type { Session, SignInMethod } from '../../api/schemas';
import { useSignIn } from './queries';

// Default names would contain "password"/"access token" and clash with the fields' labels.
const revealButtonProps = { 'aria-label': 'Show the characters typed' };

const accessTokenFormSchema = z.object({
  token: z.string().trim().min(1, 'Enter the access token'),
});

const iamFormSchema = z.object({
  user: z.string().trim().min(1, 'Enter your IAM user name').max(64, 'At most 64 characters'),
  password: z.string().min(1, 'Enter your password'),
  account: z.string().trim().min(1, 'Enter the account name').max(64, 'At most 64 characters'),
  region: z
    .string()
    .trim()
    .regex(/^[a-z]{2}-[a-z]+-\d+$/, 'A region looks like cn-north-4'),
});

function signInErrorText(err: unknown): string {
  if (err instanceof ApiError && err.status === 429 && err.code.startsWith('HTTP_')) {
    return 'Too many sign-in attempts. Wait a minute, then try again.';
  }
  return describeError(err);
}

function SignInError({ error }: { error: unknown }) {
  return (
    <Alert color="red" title="Sign-in failed" role="alert">
      {signInErrorText(error)}
    </Alert>
  );
}

function AccessTokenForm() {
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
          label="Access token"
          description="The console's access token, from whoever runs this console."
          autoComplete="current-password"
          spellCheck={false}
          visibilityToggleButtonProps={revealButtonProps}
          error={formState.errors.token?.message}
          // Mantine's PasswordInput leaves this out, unlike its TextInput.
          aria-invalid={!!formState.errors.token}
          {...register('token')}
        />
        {signIn.isError && <SignInError error={signIn.error} />}
        <Button type="submit" loading={signIn.isPending}>
          Sign in
        </Button>
      </Stack>
    </form>
  );
}

function IamForm({ region }: { region: string | null }) {
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
          label="Account"
          description="The Huawei Cloud account (domain) the IAM user belongs to."
          autoComplete="organization"
          autoCapitalize="none"
          spellCheck={false}
          error={formState.errors.account?.message}
          {...register('account')}
        />
        <TextInput
          label="User name"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          error={formState.errors.user?.message}
          {...register('user')}
        />
        <PasswordInput
          label="Password"
          autoComplete="current-password"
          visibilityToggleButtonProps={revealButtonProps}
          error={formState.errors.password?.message}
          // Mantine's PasswordInput leaves this out, unlike its TextInput.
          aria-invalid={!!formState.errors.password}
          {...register('password')}
        />
        <TextInput
          label="Region"
          description="Where the account's SecMaster lives, e.g. cn-north-4."
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          error={formState.errors.region?.message}
          {...register('region')}
        />
        {signIn.isError && <SignInError error={signIn.error} />}
        <Button type="submit" loading={signIn.isPending}>
          Sign in
        </Button>
      </Stack>
    </form>
  );
}

const methodLabels: Record<SignInMethod, string> = {
  'access-token': 'Access token',
  iam: 'IAM user',
};

const panelNames: Record<SignInMethod, string> = {
  'access-token': 'Sign in with the token',
  iam: 'Sign in as an IAM user',
};

function MethodForm({ method, session }: { method: SignInMethod; session: Session }) {
  return method === 'iam' ? <IamForm region={session.region} /> : <AccessTokenForm />;
}

/** Shown instead of the console while the server requires a sign-in and there is no session. */
export function SignInPage({ session }: { session: Session }) {
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
        Sign in
      </Title>
      <Text size="sm" c="dimmed" mb="md">
        This console acts on SecMaster for you. Sign in to continue.
      </Text>
      {methods.length === 0 && (
        <Alert color="red" title="No way to sign in" role="alert">
          The console server requires a sign-in but offers no sign-in method. Ask whoever runs it to
          check its configuration.
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
                {methodLabels[m]}
              </Tabs.Tab>
            ))}
          </Tabs.List>
          {methods.map((m) => (
            // Named apart from its tab, so that the label "Access token" names only the field.
            <Tabs.Panel key={m} value={m} aria-labelledby={`sign-in-panel-${m}`}>
              <span id={`sign-in-panel-${m}`} hidden>
                {panelNames[m]}
              </span>
              <MethodForm method={m} session={session} />
            </Tabs.Panel>
          ))}
        </Tabs>
      )}
    </Paper>
  );
}
