/**
 * "Related IDs": a plain textarea while the text is small, and an editor that draws only the
 * lines in view (CodeMirror 6, a lazy chunk) once it is large. A paste that would make the
 * textarea large never lands in it: it is caught at the paste event and opens the editor with the
 * whole text, so the browser never lays out megabytes in a textarea (100,000 lines blocked the tab
 * for seconds there, and every keystroke afterwards for about a second).
 */
import { Input, Text, Textarea } from '@mantine/core';
import {
  Component,
  Suspense,
  lazy,
  useEffect,
  useId,
  useImperativeHandle,
  useRef,
  useState,
  type ClipboardEvent,
  type ReactNode,
  type Ref,
} from 'react';
import { useT } from '../../i18n/i18n';
import { PASTE_BOX_ATTRIBUTE } from '../../lib/shortcut-targets';
import type { EditorHandle } from './large-paste-editor';

/** From this many characters (about 2,500 IDs) the text goes to the editor. */
export const LARGE_TEXT_CHARS = 100_000;
const MIN_ROWS = 5;
const MAX_ROWS = 14;

const loadEditor = () => import('./large-paste-editor');
const LargePasteEditor = lazy(loadEditor);

/** Starts loading the editor's chunk (e.g. when the box gets the focus, before a paste). */
export function preloadLargePasteEditor(): void {
  void loadEditor().catch(() => undefined);
}

/**
 * Rows from at most MAX_ROWS line breaks found with indexOf, whatever the size of the text (not
 * Mantine's `autosize`, which copies the whole value into a hidden textarea on every keystroke);
 * where CSS `field-sizing: content` is supported the browser also counts wrapped lines.
 */
function rowsFor(text: string): number {
  let rows = 1;
  let at = text.indexOf('\n');
  while (at !== -1 && rows < MAX_ROWS) {
    rows++;
    at = text.indexOf('\n', at + 1);
  }
  return Math.max(MIN_ROWS, rows);
}

/** Padding and borders of the box, added to its line bounds. */
const FRAME = 'calc(2 * var(--input-padding-y, 0px) + 2px)';
const textareaStyles = {
  input: {
    fontFamily: 'var(--mantine-font-family-monospace)',
    fontSize: 12,
    fieldSizing: 'content',
    minHeight: `calc(${MIN_ROWS}lh + ${FRAME})`,
    maxHeight: `calc(${MAX_ROWS}lh + ${FRAME})`,
  },
} as const;

/** If the editor's chunk cannot load, the box stays usable as a textarea. */
class EditorFallback extends Component<{ fallback: () => ReactNode; children: ReactNode }> {
  override state = { failed: false };
  static getDerivedStateFromError() {
    return { failed: true };
  }
  override render() {
    return this.state.failed ? this.props.fallback() : this.props.children;
  }
}

export function PasteBox(props: {
  label: string;
  description: string;
  name: string;
  value: string;
  onChange: (text: string) => void;
  onBlur?: () => void;
  /** Focuses whichever of the two boxes is shown. */
  handle?: Ref<EditorHandle>;
}) {
  const { value, onChange, onBlur, name } = props;
  const t = useT();
  const id = useId();
  const textareaRef = useRef<HTMLTextAreaElement>(null);
  const editorRef = useRef<EditorHandle>(null);
  const [large, setLarge] = useState(value.length > LARGE_TEXT_CHARS);
  const [editorFocused, setEditorFocused] = useState(false);
  // Where the cursor goes when the editor opens from the textarea (undefined: it opens unfocused).
  const [focusAt, setFocusAt] = useState<number | undefined>(undefined);
  // The large paste that opened the editor: the text before it (and its selection) and the text
  // it made. Undo in the editor, once the editor's own edits are all undone, takes it back and
  // returns to the textarea.
  const [beforePaste, setBeforePaste] = useState<{
    text: string;
    start: number;
    end: number;
    after: string;
  } | null>(null);
  // The selection to put back in the textarea once it is shown again after undoing that paste.
  const restoreSelection = useRef<[number, number] | null>(null);
  useEffect(() => {
    const selection = restoreSelection.current;
    if (!selection || large) return;
    restoreSelection.current = null;
    const box = textareaRef.current;
    box?.focus();
    box?.setSelectionRange(...selection);
  }, [large]);
  // Large text opens the editor; once the text is small again and the editor has no focus, the
  // textarea comes back (while typing, the box never changes under the cursor).
  if (!large && value.length > LARGE_TEXT_CHARS) setLarge(true);
  else if (large && !editorFocused && value.length <= LARGE_TEXT_CHARS) {
    setFocusAt(undefined);
    setLarge(false);
  }

  useImperativeHandle(
    props.handle,
    () => ({ focus: () => (editorRef.current ?? textareaRef.current)?.focus() }),
    [],
  );

  const onPaste = (event: ClipboardEvent<HTMLTextAreaElement>) => {
    const pasted = event.clipboardData.getData('text/plain');
    const box = event.currentTarget;
    const { selectionStart, selectionEnd } = box;
    if (box.value.length - (selectionEnd - selectionStart) + pasted.length <= LARGE_TEXT_CHARS)
      return;
    event.preventDefault();
    setFocusAt(selectionStart + pasted.length);
    const after = box.value.slice(0, selectionStart) + pasted + box.value.slice(selectionEnd);
    setBeforePaste({ text: box.value, start: selectionStart, end: selectionEnd, after });
    onChange(after);
  };

  /** Undo with nothing left to undo in the editor: takes back the paste that opened it. */
  const undoPaste = (): boolean => {
    if (!beforePaste || beforePaste.after !== value) return false;
    setBeforePaste(null);
    setEditorFocused(false);
    setFocusAt(undefined);
    setLarge(false);
    restoreSelection.current = [beforePaste.start, beforePaste.end];
    onChange(beforePaste.text);
    return true;
  };
  if (beforePaste && !large && value.length <= LARGE_TEXT_CHARS) setBeforePaste(null);

  const textarea = (text: string) => (
    <Textarea
      ref={textareaRef}
      id={id}
      label={props.label}
      description={props.description}
      name={name}
      size="sm"
      rows={rowsFor(text)}
      spellCheck={false}
      autoComplete="off"
      // The pasted text is data: never translated (the label is outside it).
      translate="no"
      styles={textareaStyles}
      value={text}
      onChange={(event) => {
        const box = event.currentTarget;
        if (box.value.length > LARGE_TEXT_CHARS) setFocusAt(box.selectionStart);
        onChange(box.value);
      }}
      onPaste={onPaste}
      onFocus={preloadLargePasteEditor}
      aria-keyshortcuts="/"
      {...{ [PASTE_BOX_ATTRIBUTE]: '' }}
      onBlur={onBlur}
    />
  );
  if (!large) return textarea(value);

  return (
    <EditorFallback fallback={() => textarea(value)}>
      <Input.Wrapper
        id={id}
        label={props.label}
        description={props.description}
        size="sm"
        // The label names a contenteditable, which a click on a <label> does not focus.
        labelProps={{ onClick: () => editorRef.current?.focus() }}
      >
        <Suspense
          fallback={
            <Text size="sm" c="dimmed" role="status" py="xs">
              {t('associate.openingEditor', { count: value.length })}
            </Text>
          }
        >
          <LargePasteEditor
            handle={editorRef}
            value={value}
            onChange={onChange}
            onFocusChange={(focused) => {
              setEditorFocused(focused);
              if (!focused) onBlur?.();
            }}
            labelledBy={`${id}-label`}
            describedBy={`${id}-description`}
            focusAt={focusAt}
            onUndoEmpty={undoPaste}
          />
        </Suspense>
      </Input.Wrapper>
    </EditorFallback>
  );
}
