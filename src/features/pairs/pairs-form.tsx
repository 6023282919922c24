import {
  Box,
  Group,
  Input,
  List,
  Modal,
  NativeSelect,
  Radio,
  Stack,
  Text,
  Textarea,
} from '@mantine/core';
import { useEffect, useMemo, useRef, useState } from 'react';
import { z } from 'zod';
import { describeError } from '../../api/client';
import { useCreateBatch } from '../../api/console-queries';
import {
  MAX_BATCH_PAIRS,
  MAX_PAIRS_SUBJECTS,
  batchActionSchema,
  dataclassTypeSchema,
  type CreatePairsRequest,
} from '../../api/schemas';
import { readDraft, writeDraft } from '../../lib/draft-store';
import {
  ConfirmCancelButtons,
  CreateError,
  ReasonInput,
  SubmitWithHint,
  batchFormKeys,
  classOptions,
} from '../../lib/batch-form';
import { SUBMIT_SHORTCUT_ATTRIBUTE } from '../../lib/shortcut-targets';
import { t as translate, useT } from '../../i18n/i18n';
import { ItemMessage } from '../../lib/error-text';
import { actionWord, batchTitle, dataclassCount, dataclassPlural } from '../../lib/words';
import { formatPairsSummary, parsePairs, type PairProblem } from './parse-pairs';

const SAVE_DELAY_MS = 400;
/** Invalid lines listed; the rest are counted. */
const INVALID_SHOWN = 50;

export const pairsDraftSchema = z.object({
  pairs: z.string(),
  subjectClass: dataclassTypeSchema,
  relatedClass: dataclassTypeSchema,
  action: batchActionSchema,
  reason: z.string(),
});
export type PairsDraft = z.infer<typeof pairsDraftSchema>;

const emptyDraft: PairsDraft = {
  pairs: '',
  subjectClass: 'incidents',
  relatedClass: 'alerts',
  action: 'associate',
  reason: '',
};

export function pairsDraftKey(projectId: string, workspaceId: string): string {
  return `pairs-form:v1:${projectId}:${workspaceId}`;
}

function pairCount(n: number): string {
  return translate('pairs.count', { count: n });
}

/** A cell of the pasted text (data: never translated). */
function Cell({ children }: { children: string }) {
  return (
    <Text span size="xs" ff="monospace" translate="no">
      {children}
    </Text>
  );
}

/** Why a line gives no pair, worded from its code. */
function PairReason({ problem }: { problem: PairProblem }) {
  const t = useT();
  switch (problem.code) {
    case 'noColumns':
      return t('pairs.reasonNoColumns');
    case 'cellCount':
      return t('pairs.reasonCellCount', { cells: problem.cells, expected: problem.expected });
    case 'missingId':
      return t('pairs.reasonMissingId', { side: problem.side });
    case 'malformedId':
      return t('pairs.reasonMalformedId', {
        side: problem.side,
        value: <Cell key="value">{problem.value}</Cell>,
      });
    case 'malformedUuid':
      return t('pairs.reasonMalformedUuid', {
        side: problem.side,
        value: <Cell key="value">{problem.value}</Cell>,
        uuid: <ItemMessage key="uuid" code={null} message={problem.uuid} />,
      });
    case 'sameObject':
      return t('pairs.reasonSameObject');
  }
}

/**
 * A batch of pairs: each line links (or unlinks) one related ID with its own subject. The text
 * comes pasted or from a file ("Pairs file"), is parsed as it changes (`parsePairs`), and the
 * whole form is kept as a draft per workspace, so a reload loses nothing. Only the distinct
 * well-formed pairs are sent; invalid lines are listed with their reason before anything is sent.
 */
export function PairsForm({
  projectId,
  workspaceId,
  onBatchCreated,
}: {
  projectId: string;
  workspaceId: string;
  onBatchCreated: (batchId: string) => void;
}) {
  const t = useT();
  const [draft, setDraft] = useState<PairsDraft>(emptyDraft);
  const [restored, setRestored] = useState(false);
  const [fileError, setFileError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const submitRef = useRef<HTMLButtonElement>(null);
  const createBatch = useCreateBatch();
  const key = pairsDraftKey(projectId, workspaceId);

  // The draft: read once per workspace; nothing is written over it before it is read.
  const editedBeforeRestore = useRef(false);
  useEffect(() => {
    let cancelled = false;
    void readDraft(key).then((stored) => {
      if (cancelled) return;
      const parsed = pairsDraftSchema.safeParse(stored);
      if (parsed.success && !editedBeforeRestore.current) setDraft(parsed.data);
      setRestored(true);
    });
    return () => {
      cancelled = true;
    };
  }, [key]);
  useEffect(() => {
    if (!restored) return;
    const timer = setTimeout(() => void writeDraft(key, draft), SAVE_DELAY_MS);
    return () => clearTimeout(timer);
  }, [key, draft, restored]);

  const update = (patch: Partial<PairsDraft>) => {
    if (!restored) editedBeforeRestore.current = true;
    setDraft((d) => ({ ...d, ...patch }));
  };

  const parsed = useMemo(
    () =>
      parsePairs(draft.pairs, {
        subjectClass: draft.subjectClass,
        relatedClass: draft.relatedClass,
      }),
    [draft.pairs, draft.subjectClass, draft.relatedClass],
  );
  const n = parsed.pairs.length;
  const tooMany = n > MAX_BATCH_PAIRS;
  const tooManySubjects = parsed.subjects > MAX_PAIRS_SUBJECTS;
  const canSubmit = n > 0 && !tooMany && !tooManySubjects && !createBatch.isPending;
  const submitLabel = batchTitle(draft.action, pairCount(n));
  const hint = tooMany
    ? t('pairs.tooMany', { count: n, max: MAX_BATCH_PAIRS })
    : tooManySubjects
      ? t('pairs.tooManySubjects', { count: parsed.subjects, max: MAX_PAIRS_SUBJECTS })
      : n === 0
        ? t('pairs.empty')
        : null;

  const send = () => {
    const reason = draft.reason.trim();
    const body: CreatePairsRequest = {
      action: draft.action,
      workspace_id: workspaceId,
      dataclass_type: draft.subjectClass,
      related_dataclass_type: draft.relatedClass,
      pairs: parsed.pairs,
      ...(reason ? { reason } : {}),
    };
    createBatch.mutate(body, {
      onSuccess: (batch) => {
        setConfirming(false);
        onBatchCreated(batch.id);
      },
      onError: () => setConfirming(false),
    });
  };

  const onSubmit = () => {
    if (!canSubmit) return;
    if (draft.action === 'cancel') setConfirming(true);
    else send();
  };

  // Enter in a single-line field never starts a batch; Ctrl+Enter (⌘+Enter) submits through the
  // same rules as the button (a cancel asks first).
  const onKeyDown = batchFormKeys(onSubmit, confirming);

  const readFile = (file: File | undefined) => {
    setFileError(null);
    if (!file) return;
    file.text().then(
      (text) => update({ pairs: text }),
      (err: unknown) =>
        setFileError(translate('pairs.fileUnreadable', { error: describeError(err) })),
    );
  };

  return (
    <Box
      component="form"
      aria-label={t('pairs.formName')}
      noValidate
      {...{ [SUBMIT_SHORTCUT_ATTRIBUTE]: '' }}
      onKeyDown={onKeyDown}
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      <Stack gap="sm">
        <Group gap="sm" grow>
          <NativeSelect
            label={t('pairs.subjectClass')}
            size="sm"
            data={classOptions}
            value={draft.subjectClass}
            onChange={(e) =>
              update({ subjectClass: dataclassTypeSchema.parse(e.currentTarget.value) })
            }
          />
          <NativeSelect
            label={t('pairs.relatedClass')}
            size="sm"
            data={classOptions}
            value={draft.relatedClass}
            onChange={(e) =>
              update({ relatedClass: dataclassTypeSchema.parse(e.currentTarget.value) })
            }
          />
        </Group>
        <Textarea
          label={t('pairs.pairs')}
          description={t('pairs.pairsHint')}
          size="sm"
          rows={8}
          spellCheck={false}
          autoComplete="off"
          // The pasted pairs are data: never translated.
          translate="no"
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12 } }}
          value={draft.pairs}
          onChange={(e) => update({ pairs: e.currentTarget.value })}
        />
        <Input.Wrapper
          label={t('pairs.file')}
          description={t('pairs.fileHint')}
          size="sm"
          error={fileError}
          id="pairs-file"
        >
          <input
            id="pairs-file"
            type="file"
            accept=".csv,.tsv,.txt,text/csv,text/tab-separated-values,text/plain"
            style={{ display: 'block', marginTop: 4, fontSize: 'var(--mantine-font-size-sm)' }}
            onChange={(e) => {
              readFile(e.currentTarget.files?.[0]);
              e.currentTarget.value = '';
            }}
          />
        </Input.Wrapper>
        <Stack gap={4}>
          <Text size="sm" role="status" aria-label={t('pairs.summaryName')}>
            {formatPairsSummary(parsed)}
          </Text>
          {parsed.header ? (
            <Text size="xs" c="dimmed">
              {t('pairs.headerSkipped', {
                names: (
                  <span key="names" translate="no">
                    {parsed.header.join(', ')}
                  </span>
                ),
              })}
              {parsed.columns
                ? t('pairs.headerColumns', {
                    subject: (
                      <span key="subject" translate="no">
                        {parsed.header[parsed.columns.subject] ?? ''}
                      </span>
                    ),
                    related: (
                      <span key="related" translate="no">
                        {parsed.header[parsed.columns.related] ?? ''}
                      </span>
                    ),
                  })
                : ''}
            </Text>
          ) : null}
          {parsed.invalid.length > 0 ? (
            <Box aria-label={t('pairs.invalidLines')} role="region">
              <Text size="xs" fw={500} c="red">
                {t('pairs.invalidHeading')}
              </Text>
              <List size="xs" spacing={2}>
                {parsed.invalid.slice(0, INVALID_SHOWN).map((i) => (
                  <List.Item key={i.line}>
                    <Text span size="xs" ff="monospace">
                      {t('pairs.line', { line: i.line })}
                      <span translate="no">{i.text}</span>
                    </Text>{' '}
                    <Text span size="xs" c="dimmed">
                      — <PairReason problem={i.reason} />
                    </Text>
                  </List.Item>
                ))}
              </List>
              {parsed.invalid.length > INVALID_SHOWN ? (
                <Text size="xs" c="dimmed">
                  {t('pairs.moreInvalid', { count: parsed.invalid.length - INVALID_SHOWN })}
                </Text>
              ) : null}
            </Box>
          ) : null}
        </Stack>
        <ReasonInput
          maxLength={1000}
          value={draft.reason}
          onChange={(e) => update({ reason: e.currentTarget.value })}
        />
        <Radio.Group
          label={t('pairs.action')}
          size="sm"
          value={draft.action}
          onChange={(v) => update({ action: batchActionSchema.parse(v) })}
        >
          <Group gap="lg" mt={4}>
            <Radio value="associate" label={actionWord('associate')} size="sm" />
            <Radio value="cancel" label={actionWord('cancel')} size="sm" />
          </Group>
        </Radio.Group>
        <CreateError error={createBatch.error} title={t('pairs.notCreated')} />
        <SubmitWithHint
          hintId="pairs-submit-hint"
          hint={hint}
          cancel={draft.action === 'cancel'}
          disabled={!canSubmit}
          loading={createBatch.isPending}
          buttonRef={submitRef}
        >
          {submitLabel}
        </SubmitWithHint>
      </Stack>
      <Modal
        opened={confirming}
        onClose={() => setConfirming(false)}
        title={t('pairs.confirmTitle')}
        size="md"
        closeButtonProps={{ 'aria-label': t('common.close') }}
      >
        <Stack gap="sm">
          <Text size="sm">
            {t('pairs.confirmText', {
              pairs: pairCount(n),
              what: dataclassPlural(draft.relatedClass),
              subjects: dataclassCount(draft.subjectClass, parsed.subjects),
              workspace: (
                <Text key="workspace" span ff="monospace" size="xs" translate="no">
                  {workspaceId}
                </Text>
              ),
            })}
          </Text>
          <ConfirmCancelButtons
            onBack={() => setConfirming(false)}
            onConfirm={send}
            loading={createBatch.isPending}
          />
        </Stack>
      </Modal>
    </Box>
  );
}
