import { Button, Group, Text } from '@mantine/core';
import type { Session } from '../../api/schemas';
import { useT } from '../../i18n/i18n';
import { ErrorText } from '../../lib/error-text';
import { useSignOut } from './queries';

/** The header's "who am I" and "Sign out", for sessions the browser holds (not bearer calls). */
export function SignedInUser({ session }: { session: Session }) {
  const t = useT();
  const signOut = useSignOut();
  if (!session.authenticated || (session.method !== 'access-token' && session.method !== 'iam')) {
    return null;
  }
  return (
    <Group gap="xs" wrap="nowrap">
      {session.user && (
        <Text size="sm" title={t('auth.signedInAs')} translate="no">
          {session.user}
        </Text>
      )}
      <Button
        variant="default"
        size="xs"
        loading={signOut.isPending}
        onClick={() => signOut.mutate()}
      >
        {t('auth.signOut')}
      </Button>
      {signOut.isError && (
        <Text size="xs" c="red" role="alert">
          {t('auth.signOutFailed', { reason: <ErrorText key="reason" error={signOut.error} /> })}
        </Text>
      )}
    </Group>
  );
}
