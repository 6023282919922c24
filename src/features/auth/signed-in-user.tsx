import { Button, Group, Text } from '@mantine/core';
import { describeError } from '../../api/client';
import type { Session } from '../../api/schemas';
import { useSignOut } from './queries';

/** The header's "who am I" and "Sign out", for sessions the browser holds (not bearer calls). */
export function SignedInUser({ session }: { session: Session }) {
  const signOut = useSignOut();
  if (!session.authenticated || (session.method !== 'access-token' && session.method !== 'iam')) {
    return null;
  }
  return (
    <Group gap="xs" wrap="nowrap">
      {session.user && (
        <Text size="sm" title="Signed in as">
          {session.user}
        </Text>
      )}
      <Button
        variant="default"
        size="xs"
        loading={signOut.isPending}
        onClick={() => signOut.mutate()}
      >
        Sign out
      </Button>
      {signOut.isError && (
        <Text size="xs" c="red" role="alert">
          Sign-out failed: {describeError(signOut.error)}
        </Text>
      )}
    </Group>
  );
}
