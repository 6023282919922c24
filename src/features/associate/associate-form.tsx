import { Alert, Box, Button, Group, Modal, NativeSelect, Radio, Stack, Text } from '@mantine/core';
import { zodResolver } from '@hookform/resolvers/zod';
import { useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { memo, useEffect, useEffectEvent, useLayoutEffect, useRef, useState } from 'react';
import { Controller, useController, useForm, useWatch, type Control } from 'react-hook-form';
import { z } from 'zod';
import { describeError } from '../../api/client';
import {
  newIdempotencyKey,
  useCheckLinks,
  useCreateBatch,
  useCreateMove,
} from '../../api/console-queries';
import { secmasterQueries } from '../../api/secmaster-queries';
import {
  MAX_BATCH_IDS,
  dataclassTypeSchema,
  idKey,
  idSchema,
  isWellFormedId,
  subjectSelectionSchema,
  type CreateBatchRequest,
  type CreateMoveRequest,
  type LinkCheckRequest,
  type SubjectSelection,
} from '../../api/schemas';
import {
  draftKey,
  formActionSchema,
  formDraftSchema,
  loadDraft,
  saveDraft,
  type FormDraft,
} from './form-storage';
import { emptyParseResult, type ParseResult, type TableInfo } from './parse-ids';
import { columnLabel, formatSkipped, formatSummary } from './parse-words';
import { tKey, useT } from '../../i18n/i18n';
import { ObjectPicker, objectTitle } from '../../lib/object-picker';
import { LinkCheckResult, linkCheckSummary, sameIds } from './link-check';
import {
  ConfirmCancelButtons,
  CreateError,
  ReasonInput,
  SubmitWithHint,
  batchFormKeys,
  classOptions,
} from '../../lib/batch-form';
import { SUBMIT_SHORTCUT_ATTRIBUTE } from '../../lib/shortcut-targets';
import { PasteBox } from './paste-box';
import { TokenList } from './token-list';
import { useParsedIds, type ParsedIds } from './use-parsed-ids';
import { shorten } from '../../lib/text';
import {
  actionWord,
  batchTitle,
  dataclassPlural,
  dataclassSingular,
  idCount,
  moveTitle,
} from '../../lib/words';

const SAVE_DELAY_MS = 400;
const SHORT_TITLE = 40;

const associateFormSchema = z.object({
  subjectClass: dataclassTypeSchema,
  subjectId: idSchema.or(z.literal('')).refine((v) => v !== '', 'associate.chooseSubjectError'),
  relatedClass: dataclassTypeSchema,
  relatedIds: z.string(),
  reason: z.string().max(1000, 'associate.reasonFieldTooLong'),
  action: formActionSchema,
  destinationId: formDraftSchema.shape.destinationId,
  idColumn: formDraftSchema.shape.idColumn,
});

const defaultValues: FormDraft = {
  subjectClass: 'incidents',
  subjectId: '',
  relatedClass: 'alerts',
  relatedIds: '',
  reason: '',
  action: 'associate',
  destinationId: '',
};

/** The query parameters that fill the form when it opens (e.g. "Link more" on an object's page). */
const URL_PARAMS = ['subject_class', 'subject', 'related_class'] as const;

/** What the URL asks the form to show (only the well-formed values), or null when nothing. */
export function formValuesFromUrl(params: URLSearchParams): Partial<FormDraft> | null {
  const values: Partial<FormDraft> = {};
  const subjectClass = dataclassTypeSchema.safeParse(params.get('subject_class'));
  if (subjectClass.success) values.subjectClass = subjectClass.data;
  const subject = params.get('subject')?.trim() ?? '';
  if (isWellFormedId(subject)) values.subjectId = subject;
  else if (subjectClass.success) values.subjectId = '';
  const relatedClass = dataclassTypeSchema.safeParse(params.get('related_class'));
  if (relatedClass.success) values.relatedClass = relatedClass.data;
  return Object.keys(values).length > 0 ? values : null;
}

export function AssociateForm(props: {
  projectId: string;
  workspaceId: string;
  onSubjectChange: (s: SubjectSelection | null) => void;
  onBatchCreated: (batchId: string) => void;
  /** Called with the new move's ID after the "Move" action created it. */
  onMoveCreated?: (moveId: string) => void;
}) {
  const { projectId, workspaceId } = props;
  const t = useT();
  // Read once, when the form opens: the URL wins over the saved draft, then leaves the URL.
  const [searchParams, setSearchParams] = useSearchParams();
  const [fromUrl] = useState(() => formValuesFromUrl(searchParams));
  useEffect(() => {
    if (!URL_PARAMS.some((name) => searchParams.has(name))) return;
    setSearchParams(
      (current) => {
        const next = new URLSearchParams(current);
        for (const name of URL_PARAMS) next.delete(name);
        return next;
      },
      { replace: true },
    );
  }, [searchParams, setSearchParams]);
  const {
    control,
    register,
    handleSubmit,
    reset,
    setValue,
    setFocus,
    getValues,
    subscribe,
    formState,
  } = useForm({
    resolver: zodResolver(associateFormSchema),
    defaultValues,
  });
  // The paste box is not watched here: PasteField watches it, so a keystroke in 100,000 pasted
  // lines re-renders the box and its summary, not the whole form. Its parse comes up as `parsed`.
  const [subjectClass, subjectId, relatedClass, action, destinationValue] = useWatch({
    control,
    name: ['subjectClass', 'subjectId', 'relatedClass', 'action', 'destinationId'],
  });
  const destinationId = destinationValue ?? '';
  const [confirming, setConfirming] = useState(false);
  // What had the focus when the cancel confirmation opened (the submit button, or the field where
  // Ctrl+Enter was pressed): it gets the focus back when the dialog closes. Recorded here, at
  // once, rather than by Mantine's returnFocus, which reads it in an effect that can run after
  // the dialog has already moved the focus to "Back".
  const [confirmOpener, setConfirmOpener] = useState<HTMLElement | null>(null);
  const submitRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming || !confirmOpener) return;
    const usable = confirmOpener.isConnected && !confirmOpener.matches(':disabled');
    (usable ? confirmOpener : submitRef.current)?.focus();
  }, [confirming, confirmOpener]);
  const [pickerGeneration, setPickerGeneration] = useState(0);
  const [parsed, setParsed] = useState<ParsedIds>(NOTHING_YET);
  const createBatch = useCreateBatch();
  const createMove = useCreateMove();
  // One Idempotency-Key per move asked for: a double click cannot make two moves.
  const [moveKey, setMoveKey] = useState<{ body: string; key: string } | null>(null);
  const checkLinks = useCheckLinks();
  const checkButtonRef = useRef<HTMLButtonElement>(null);
  const checkAnswerRef = useRef<HTMLDivElement>(null);
  // An answer (or an error) takes the focus the check button dropped while it was loading
  // (disabled), unless the analyst has moved on to another control meanwhile.
  useEffect(() => {
    const active = document.activeElement;
    if (active && active !== document.body && active !== checkButtonRef.current) return;
    checkAnswerRef.current?.focus();
  }, [checkLinks.data, checkLinks.error]);
  // After "Keep only…": the text it replaced (to put back) and the text it wrote; forgotten as
  // soon as the box holds anything else, so a restore never discards later edits.
  const [kept, setKept] = useState<{ previous: string; kept: string } | null>(null);
  const restoreRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!kept) return;
    restoreRef.current?.focus();
    return subscribe({
      formState: { values: true },
      callback: () => {
        if (getValues('relatedIds') !== kept.kept) setKept(null);
      },
    });
  }, [kept, subscribe, getValues]);
  const result = parsed.result;

  const subjectQuery = useQuery({
    ...secmasterQueries.object(projectId, workspaceId, subjectClass, subjectId),
    enabled: subjectId !== '',
    staleTime: 5 * 60_000,
  });
  const subjectDetail = subjectId ? subjectQuery.data?.data : undefined;

  // --- the subject, for the rest of the page -----------------------------------------------
  const selection = subjectSelectionSchema.safeParse({
    dataclass_type: subjectClass,
    data_object_id: subjectId,
    related_dataclass_type: relatedClass,
  });
  const selectionKey = selection.success ? `${subjectClass}/${subjectId}/${relatedClass}` : '';
  const emitSubject = useEffectEvent((s: SubjectSelection | null) => props.onSubjectChange(s));
  useEffect(() => {
    if (!selectionKey) {
      emitSubject(null);
      return;
    }
    const [dataclass_type, data_object_id, related_dataclass_type] = selectionKey.split('/');
    emitSubject(
      subjectSelectionSchema.parse({ dataclass_type, data_object_id, related_dataclass_type }),
    );
  }, [selectionKey]);

  // --- the draft: restored on mount, saved after a pause in typing -------------------------
  const key = draftKey(projectId, workspaceId);
  const loadedKey = useRef<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    let restored = false;
    let editedBeforeRestore = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const save = () => {
      timer = undefined;
      void saveDraft(key, getValues());
    };
    const unsubscribe = subscribe({
      formState: { values: true },
      callback: () => {
        // Until the stored draft is read, nothing is written over it.
        if (!restored) {
          editedBeforeRestore = true;
          return;
        }
        clearTimeout(timer);
        timer = setTimeout(save, SAVE_DELAY_MS);
      },
    });
    void loadDraft(key).then((draft) => {
      if (cancelled) return;
      const firstLoad = loadedKey.current === null;
      loadedKey.current = key;
      const urlValues = firstLoad ? fromUrl : null;
      if (!editedBeforeRestore && (draft || !firstLoad || urlValues)) {
        // A draft, or another workspace's content to clear; a fresh form stays as it is, so
        // nothing typed into the subject search meanwhile is lost. What the URL asked for wins
        // over the draft.
        reset({ ...defaultValues, ...draft, ...urlValues });
        setPickerGeneration((g) => g + 1);
      }
      restored = true;
      if (editedBeforeRestore) save();
    });
    return () => {
      cancelled = true;
      unsubscribe();
      if (timer !== undefined) {
        clearTimeout(timer);
        save();
      }
    };
  }, [key, getValues, reset, subscribe, fromUrl]);

  // --- submit --------------------------------------------------------------------------------
  const validCount = result.valid.length;
  const tooMany = result.tokens.length > MAX_BATCH_IDS;
  const subjectReady = selection.success;
  const moving = action === 'move';
  const destinationSame = destinationId !== '' && idKey(destinationId) === idKey(subjectId);
  const destinationReady = !moving || (isWellFormedId(destinationId) && !destinationSame);
  const canSubmit =
    subjectReady &&
    destinationReady &&
    validCount > 0 &&
    !parsed.pending &&
    !tooMany &&
    !createBatch.isPending &&
    !createMove.isPending;
  const singular = dataclassSingular(subjectClass);
  const what = idCount(validCount);
  // The subject's title (or ID) in the button: data, not translated.
  const subjectName = subjectReady ? (
    <span translate="no" key="subject">
      {subjectDetail ? shorten(objectTitle(subjectDetail), SHORT_TITLE) : subjectId}
    </span>
  ) : null;
  const submitLabel = moving
    ? moveTitle(what)
    : action === 'cancel'
      ? subjectName
        ? t('associate.submitCancelWith', { what, singular, subject: subjectName })
        : batchTitle('cancel', what)
      : subjectName
        ? t('associate.submitAssociateWith', { what, singular, subject: subjectName })
        : batchTitle('associate', what);
  const hint = !subjectReady
    ? t('associate.hintChooseSubject')
    : !destinationReady
      ? destinationSame
        ? t('associate.hintDestinationIsSubject')
        : t('associate.hintChooseDestination')
      : parsed.pending
        ? t('associate.hintReading')
        : tooMany
          ? t('associate.hintTooMany', { count: result.tokens.length, max: MAX_BATCH_IDS })
          : validCount === 0
            ? t('associate.hintPasteOne')
            : null;

  // --- the link check: the pasted IDs against the subject's links now ---------------------------
  const checkRequest: LinkCheckRequest | null =
    selection.success && result.valid.length > 0 && !parsed.pending && !tooMany
      ? {
          workspace_id: workspaceId,
          dataclass_type: selection.data.dataclass_type,
          data_object_id: selection.data.data_object_id,
          related_dataclass_type: selection.data.related_dataclass_type,
          ids: result.valid,
        }
      : null;
  // A check answers for the exact list and subject it was asked about; after any change it is
  // shown as outdated rather than as if it were current.
  const checked = checkLinks.variables;
  const checkCurrent =
    checked !== undefined &&
    checkRequest !== null &&
    sameIds(checked.ids, checkRequest.ids) &&
    checked.workspace_id === checkRequest.workspace_id &&
    checked.dataclass_type === checkRequest.dataclass_type &&
    checked.data_object_id === checkRequest.data_object_id &&
    checked.related_dataclass_type === checkRequest.related_dataclass_type;

  const sendMove = (values: z.infer<typeof associateFormSchema>) => {
    const reason = values.reason.trim();
    const body: CreateMoveRequest = {
      workspace_id: workspaceId,
      dataclass_type: values.subjectClass,
      source_id: values.subjectId,
      destination_id: values.destinationId ?? '',
      related_dataclass_type: values.relatedClass,
      ids: result.tokens,
      ...(reason ? { reason } : {}),
    };
    const asked = JSON.stringify(body);
    let idempotencyKey = moveKey?.key ?? '';
    if (moveKey?.body !== asked) {
      idempotencyKey = newIdempotencyKey();
      setMoveKey({ body: asked, key: idempotencyKey });
    }
    createMove.mutate(
      { body, idempotencyKey },
      {
        onSuccess: (move) => {
          checkLinks.reset();
          setKept(null);
          props.onMoveCreated?.(move.id);
        },
      },
    );
  };

  const send = (values: z.infer<typeof associateFormSchema>) => {
    if (values.action === 'move') {
      sendMove(values);
      return;
    }
    const reason = values.reason.trim();
    const body: CreateBatchRequest = {
      action: values.action,
      workspace_id: workspaceId,
      dataclass_type: values.subjectClass,
      data_object_id: values.subjectId,
      related_dataclass_type: values.relatedClass,
      ids: result.tokens,
      ...(reason ? { reason } : {}),
    };
    createBatch.mutate(body, {
      onSuccess: (batch) => {
        setConfirming(false);
        // The batch changes the links: an earlier check no longer describes them.
        checkLinks.reset();
        setKept(null);
        // The form keeps its content: the analyst may adjust the list and run it again, and
        // a reload must never lose what was pasted.
        props.onBatchCreated(batch.id);
      },
      onError: () => setConfirming(false),
    });
  };

  const onSubmit = handleSubmit((values) => {
    if (!canSubmit) return;
    if (values.action === 'cancel') {
      const active = document.activeElement;
      setConfirmOpener(active instanceof HTMLElement && active !== document.body ? active : null);
      setConfirming(true);
    } else send(values);
  });

  // Enter in a single-line field never starts a batch; Ctrl+Enter (⌘+Enter) anywhere in the
  // form submits through the same rules as the button (a cancel asks first). The paste box keeps
  // Enter as a new line.
  const onKeyDown = batchFormKeys(() => void onSubmit(), confirming);

  return (
    <Box
      component="form"
      onSubmit={onSubmit}
      onKeyDown={onKeyDown}
      noValidate
      aria-label={t('associate.formName')}
      {...{ [SUBMIT_SHORTCUT_ATTRIBUTE]: '' }}
    >
      <Stack gap="sm">
        <NativeSelect
          label={t('associate.subjectClass')}
          size="sm"
          data={classOptions}
          {...register('subjectClass', {
            onChange: () => {
              setValue('subjectId', '');
              setValue('destinationId', '');
              setPickerGeneration((g) => g + 1);
            },
          })}
        />
        <Controller
          control={control}
          name="subjectId"
          render={({ field, fieldState }) => (
            <ObjectPicker
              key={`${subjectClass}:${pickerGeneration}`}
              projectId={projectId}
              workspaceId={workspaceId}
              dataclass={subjectClass}
              value={field.value}
              onChange={(id) => field.onChange(id)}
              error={fieldState.error?.message ? tKey(fieldState.error.message) : undefined}
            />
          )}
        />
        <NativeSelect
          label={t('associate.relatedClass')}
          size="sm"
          data={classOptions}
          {...register('relatedClass')}
        />
        <PasteField
          control={control}
          projectId={projectId}
          workspaceId={workspaceId}
          subjectId={subjectId}
          onParsed={setParsed}
        />
        <Stack gap={6}>
          <Group gap="sm">
            <Button
              ref={checkButtonRef}
              variant="default"
              size="xs"
              disabled={checkRequest === null}
              loading={checkLinks.isPending}
              onClick={() => {
                if (checkRequest) checkLinks.mutate(checkRequest);
              }}
            >
              {t('associate.checkLinks')}
            </Button>
            {kept ? (
              <Button
                ref={restoreRef}
                variant="subtle"
                size="compact-xs"
                onClick={() => {
                  setValue('relatedIds', kept.previous, { shouldDirty: true });
                  setKept(null);
                  setFocus('relatedIds');
                }}
              >
                {t('associate.restorePrevious')}
              </Button>
            ) : null}
          </Group>
          {/* One live region, always in the page, so that each new state is announced. */}
          <Text
            size={checkLinks.data && checkCurrent ? 'sm' : 'xs'}
            c={checkLinks.data && checkCurrent ? undefined : 'dimmed'}
            role="status"
            aria-label={t('associate.checkSummaryName')}
          >
            {kept
              ? t('associate.keptNote')
              : checkLinks.data && checkCurrent
                ? linkCheckSummary(checkLinks.data)
                : checkLinks.isSuccess || checkLinks.isError
                  ? t('associate.checkOutdated')
                  : ''}
          </Text>
          {checkLinks.isError && checkCurrent ? (
            <Alert
              ref={checkAnswerRef}
              tabIndex={-1}
              color="red"
              variant="light"
              title={t('associate.checkFailed')}
            >
              {describeError(checkLinks.error)}
            </Alert>
          ) : null}
          {checkLinks.data && checkCurrent ? (
            <LinkCheckResult
              ref={checkAnswerRef}
              check={checkLinks.data}
              ids={checkLinks.variables?.ids ?? []}
              action={moving ? 'cancel' : action}
              onKeep={(ids) => {
                const text = ids.join('\n');
                setKept({ previous: getValues('relatedIds'), kept: text });
                setValue('relatedIds', text, { shouldDirty: true });
              }}
            />
          ) : null}
        </Stack>
        <ReasonInput
          error={
            formState.errors.reason?.message ? tKey(formState.errors.reason.message) : undefined
          }
          {...register('reason')}
        />
        <Controller
          control={control}
          name="action"
          render={({ field }) => (
            <Radio.Group
              label={t('associate.action')}
              size="sm"
              value={field.value}
              onChange={field.onChange}
            >
              <Group gap="lg" mt={4}>
                <Radio value="associate" label={actionWord('associate')} size="sm" />
                <Radio value="cancel" label={actionWord('cancel')} size="sm" />
                <Radio value="move" label={t('common.actionMove')} size="sm" />
              </Group>
            </Radio.Group>
          )}
        />
        {moving ? (
          <Controller
            control={control}
            name="destinationId"
            render={({ field }) => (
              <ObjectPicker
                key={`destination:${subjectClass}:${pickerGeneration}`}
                projectId={projectId}
                workspaceId={workspaceId}
                dataclass={subjectClass}
                value={field.value ?? ''}
                onChange={(id) => field.onChange(id)}
                label={t('associate.destination')}
                cardLabel={t('associate.destinationCard', { singular })}
                error={
                  destinationSame ? t('associate.destinationIsSubject', { singular }) : undefined
                }
              />
            )}
          />
        ) : null}
        <CreateError error={createBatch.error} title={t('associate.batchNotCreated')} />
        {moving ? (
          <CreateError error={createMove.error} title={t('associate.moveNotCreated')} />
        ) : null}
        <SubmitWithHint
          hintId="associate-submit-hint"
          hint={hint}
          cancel={action === 'cancel'}
          disabled={!canSubmit}
          loading={createBatch.isPending || createMove.isPending}
          buttonRef={submitRef}
          wrap
        >
          {submitLabel}
        </SubmitWithHint>
      </Stack>
      <Modal
        opened={confirming}
        onClose={() => setConfirming(false)}
        returnFocus={false}
        title={t('associate.confirmTitle')}
        size="md"
      >
        <Stack gap="sm">
          <Text size="sm">
            {t('associate.confirmBody', {
              singular,
              title: (
                <Text span fw={500} translate="no" key="title">
                  {subjectDetail ? objectTitle(subjectDetail) : subjectId}
                </Text>
              ),
              id: (
                <Text span ff="monospace" size="xs" translate="no" key="id">
                  ({subjectId})
                </Text>
              ),
              what,
              plural: dataclassPlural(relatedClass),
              workspace: (
                <Text span ff="monospace" size="xs" translate="no" key="workspace">
                  {workspaceId}
                </Text>
              ),
            })}
          </Text>
          <Text size="sm" c="dimmed">
            {t('associate.confirmNote', { summary: formatSummary(result) })}
          </Text>
          <ConfirmCancelButtons
            onBack={() => setConfirming(false)}
            onConfirm={() => void handleSubmit(send)()}
            loading={createBatch.isPending}
          />
        </Stack>
      </Modal>
    </Box>
  );
}

const NOTHING_YET: ParsedIds = { result: emptyParseResult(), pending: false };

/**
 * "Related IDs" and its live summary. Watches only its own field and parses it (useParsedIds);
 * the form learns of a new parse through `onParsed` (a new result, or pending flipping), not of
 * every keystroke.
 */
const PasteField = memo(function PasteField(props: {
  control: Control<FormDraft>;
  projectId: string;
  workspaceId: string;
  subjectId: string;
  onParsed: (parsed: ParsedIds) => void;
}) {
  const { control, projectId, workspaceId, subjectId, onParsed } = props;
  const t = useT();
  const { field } = useController({ control, name: 'relatedIds' });
  const relatedIds = field.value;
  const relatedClass = useWatch({ control, name: 'relatedClass' });
  // The ID column picked in a pasted table applies while the related class it was picked under
  // is chosen; otherwise the column follows the related class.
  const { field: idColumnField } = useController({ control, name: 'idColumn' });
  const picked = idColumnField.value;
  const parsed = useParsedIds(relatedIds, {
    projectId,
    workspaceId,
    subjectId: subjectId || undefined,
    relatedClass,
    idColumn: picked?.relatedClass === relatedClass ? picked.name : undefined,
  });
  const onPickColumn = idColumnField.onChange;
  const { result, pending } = parsed;
  // Before paint: the submit button never shows a frame with the previous parse (e.g. after a
  // draft is restored), since the form re-renders with this one in the same commit.
  useLayoutEffect(() => onParsed({ result, pending }), [onParsed, result, pending]);
  return (
    <>
      <PasteBox
        label={t('associate.relatedIds')}
        description={t('associate.relatedIdsDescription')}
        name={field.name}
        value={relatedIds}
        onChange={field.onChange}
        onBlur={field.onBlur}
        handle={field.ref}
      />
      <ParseSummary
        result={result}
        pending={pending}
        onPickColumn={(name) => onPickColumn({ name, relatedClass })}
      />
    </>
  );
});

function ParseSummary({
  result,
  pending,
  onPickColumn,
}: {
  result: ParseResult;
  pending: boolean;
  onPickColumn: (name: string) => void;
}) {
  const t = useT();
  const skipped = formatSkipped(result);
  return (
    <Stack gap={4}>
      <Group gap="xs">
        <Text size="sm" role="status" aria-label={t('associate.pasteSummaryName')}>
          {formatSummary(result)}
        </Text>
        {pending ? (
          <Text size="xs" c="dimmed">
            {t('associate.reading')}
          </Text>
        ) : null}
      </Group>
      {result.table ? (
        <TableColumns table={result.table} format={result.format} onPick={onPickColumn} />
      ) : result.header ? (
        <Text size="xs" c="dimmed">
          {t('associate.headerSkipped')}
          <span translate="no">{result.header.join(', ')}</span>
        </Text>
      ) : null}
      {skipped ? (
        <Text size="xs" c="dimmed">
          {skipped}
        </Text>
      ) : null}
      <TokenList title={t('associate.invalid')} items={result.invalid} color="red" />
      <TokenList title={t('associate.ignored')} items={result.ignored} color="gray" />
    </Stack>
  );
}

/** Which column of a pasted table is read, and the choice when several hold IDs. */
function TableColumns({
  table,
  format,
  onPick,
}: {
  table: TableInfo;
  format: ParseResult['format'];
  onPick: (name: string) => void;
}) {
  const t = useT();
  const others = table.header.filter((h, i) => i !== table.column && h !== '');
  return (
    <>
      <Text size="xs" c="dimmed">
        {t('associate.readAs', {
          format: format === 'tsv' ? 'TSV' : 'CSV',
          column: columnLabel(table, table.column),
          rows: table.rows,
        })}
        {others.length > 0 ? (
          <>
            {t('associate.otherColumnsSkipped')}
            <span translate="no">{others.join(', ')}</span>
          </>
        ) : null}
      </Text>
      {table.idColumns.length > 1 ? (
        <Radio.Group
          label={t('associate.idColumn')}
          description={t('associate.idColumnDescription')}
          size="xs"
          value={String(table.column)}
          onChange={(value) => {
            const column = table.idColumns.find((c) => String(c.index) === value);
            if (column) onPick(column.name);
          }}
        >
          <Group gap="md" mt={4}>
            {table.idColumns.map((column) => (
              <Radio
                key={column.index}
                value={String(column.index)}
                label={columnLabel(table, column.index)}
                size="xs"
              />
            ))}
          </Group>
        </Radio.Group>
      ) : null}
    </>
  );
}
