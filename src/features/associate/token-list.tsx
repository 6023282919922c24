/**
 * A titled list of pasted tokens (the first 50, "and N more"), each with an optional reason,
 * and optionally a button copying all of them. Used for the paste's invalid and ignored entries
 * and for the link check's groups.
 */
import { Box, Button, Group, ScrollArea, Text } from '@mantine/core';
import { useState } from 'react';
import { copyText } from '../../lib/clipboard';
import { shorten } from '../../lib/text';

const LISTED = 50;

export interface ListedToken {
  token: string;
  reason?: string;
}

export function TokenList({
  title,
  items,
  color,
  copyable = false,
}: {
  title: string;
  items: readonly ListedToken[];
  color: string;
  /** A "Copy" button (named "Copy <title> IDs") copying every token, one per line. */
  copyable?: boolean;
}) {
  const [copied, setCopied] = useState<'done' | 'failed' | null>(null);
  if (items.length === 0) return null;
  const shown = items.slice(0, LISTED);
  return (
    <Box>
      <Group gap="xs">
        <Text size="xs" fw={500}>
          {title} ({items.length})
        </Text>
        {copyable ? (
          <>
            <Button
              variant="subtle"
              size="compact-xs"
              aria-label={`Copy ${title.toLowerCase()} IDs`}
              onClick={() => {
                copyText(items.map((i) => i.token).join('\n')).then(
                  () => setCopied('done'),
                  () => setCopied('failed'),
                );
              }}
            >
              Copy
            </Button>
            <Text size="xs" c="dimmed" role="status">
              {copied === 'done' ? 'Copied' : copied === 'failed' ? 'Could not copy' : ''}
            </Text>
          </>
        ) : null}
      </Group>
      <ScrollArea.Autosize mah={140} type="auto">
        <Box component="ul" m={0} p={0} style={{ listStyle: 'none' }} aria-label={title}>
          {shown.map((item, i) => (
            <Box component="li" key={`${i}:${item.token}`} fz="xs">
              <Text
                span
                ff="monospace"
                fz="xs"
                c={color}
                bg={`var(--mantine-color-${color}-light)`}
                px={4}
                style={{ wordBreak: 'break-all' }}
              >
                {shorten(item.token, 80)}
              </Text>
              {item.reason ? (
                <>
                  {' '}
                  <Text span fz="xs" c="dimmed">
                    {item.reason}
                  </Text>
                </>
              ) : null}
            </Box>
          ))}
        </Box>
      </ScrollArea.Autosize>
      {items.length > shown.length ? (
        <Text size="xs" c="dimmed">
          and {items.length - shown.length} more
        </Text>
      ) : null}
    </Box>
  );
}
