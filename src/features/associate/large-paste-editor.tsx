/**
 * The paste box for large text (a lazy chunk: CodeMirror 6 loads only when a paste or a draft is
 * large). CodeMirror keeps the text as a tree of lines and draws only the lines in view, so a
 * 100,000-line paste, and a keystroke in it afterwards, cost milliseconds where a textarea lays
 * out all 4 MB. Without @codemirror/commands, the few commands an analyst needs beyond the
 * browser's own editing are here: undo/redo (a small history), document start/end, select all.
 */
import {
  Annotation,
  EditorSelection,
  EditorState,
  type ChangeSet,
  type Extension,
} from '@codemirror/state';
import { EditorView, keymap, type Command } from '@codemirror/view';
import { useEffect, useImperativeHandle, useRef, type Ref } from 'react';
import { PASTE_BOX_ATTRIBUTE } from '../../lib/shortcut-targets';

/** Marks a change that came from outside (the form's value), not from typing in the editor. */
const fromOutside = Annotation.define<boolean>();
const historyStep = Annotation.define<'undo' | 'redo'>();

/** Edits closer together than this are undone as one step. */
const GROUP_MS = 500;
const HISTORY_DEPTH = 100;

interface Step {
  changes: ChangeSet;
  selection: EditorSelection;
  at: number;
}

/** Undo and redo of the edits made in the editor (a change from outside starts afresh). */
function history(): { extension: Extension; undo: Command; redo: Command } {
  const done: Step[] = [];
  const undone: Step[] = [];
  const record = EditorView.updateListener.of((update) => {
    for (const tr of update.transactions) {
      if (!tr.docChanged) continue;
      const step = {
        changes: tr.changes.invert(tr.startState.doc),
        selection: tr.startState.selection,
        at: Date.now(),
      };
      const kind = tr.annotation(historyStep);
      if (kind === 'undo') undone.push(step);
      else if (kind === 'redo') done.push(step);
      else if (tr.annotation(fromOutside)) {
        done.length = 0;
        undone.length = 0;
      } else {
        undone.length = 0;
        const last = done.at(-1);
        if (last && step.at - last.at < GROUP_MS && !tr.isUserEvent('input.paste')) {
          done[done.length - 1] = {
            changes: step.changes.compose(last.changes),
            selection: last.selection,
            at: step.at,
          };
        } else {
          done.push(step);
          if (done.length > HISTORY_DEPTH) done.shift();
        }
      }
    }
  });
  const replay =
    (from: Step[], kind: 'undo' | 'redo'): Command =>
    (view) => {
      const step = from.pop();
      if (!step) return false;
      view.dispatch({
        changes: step.changes,
        selection: step.selection,
        annotations: historyStep.of(kind),
        scrollIntoView: true,
      });
      return true;
    };
  return { extension: record, undo: replay(done, 'undo'), redo: replay(undone, 'redo') };
}

const moveTo =
  (where: 'start' | 'end', extend: boolean): Command =>
  (view) => {
    const head = where === 'start' ? 0 : view.state.doc.length;
    const anchor = extend ? view.state.selection.main.anchor : head;
    view.dispatch({ selection: EditorSelection.single(anchor, head), scrollIntoView: true });
    return true;
  };

const selectAll: Command = (view) => {
  view.dispatch({ selection: EditorSelection.single(0, view.state.doc.length) });
  return true;
};

const newLine: Command = (view) => {
  view.dispatch(view.state.replaceSelection('\n'), { scrollIntoView: true, userEvent: 'input' });
  return true;
};

/** Bounds of the box in lines (as the textarea's), plus its padding and border. */
const FRAME = 'calc(2 * var(--input-padding-y, 8px) + 2px)';

const theme = EditorView.theme({
  '&': {
    fontFamily: 'var(--mantine-font-family-monospace)',
    fontSize: '12px',
    color: 'var(--mantine-color-text)',
    backgroundColor: 'var(--mantine-color-body)',
    border: '1px solid var(--mantine-color-default-border)',
    borderRadius: 'var(--mantine-radius-default)',
  },
  '&.cm-focused': {
    outline: 'none',
    borderColor: 'var(--mantine-primary-color-filled)',
  },
  '.cm-scroller': {
    fontFamily: 'inherit',
    lineHeight: '1.55',
    overflow: 'auto',
    minHeight: `calc(5 * 1.55em + ${FRAME})`,
    maxHeight: `calc(14 * 1.55em + ${FRAME})`,
  },
  '.cm-content': { padding: 'var(--input-padding-y, 8px) 0', caretColor: 'currentColor' },
  '.cm-line': { padding: '0 12px' },
  '.cm-cursor': { borderLeftColor: 'currentColor' },
});

export interface EditorHandle {
  focus(): void;
}

export default function LargePasteEditor(props: {
  value: string;
  onChange: (text: string) => void;
  onFocusChange: (focused: boolean) => void;
  /** IDs of the label and description that name and describe the box. */
  labelledBy: string;
  describedBy?: string;
  /** Focus the editor when it opens, with the cursor at this offset. */
  focusAt?: number;
  handle?: Ref<EditorHandle>;
  /** Undo with nothing left to undo here: true when the caller undid something itself. */
  onUndoEmpty?: () => boolean;
}) {
  const { labelledBy, describedBy } = props;
  const parentRef = useRef<HTMLDivElement>(null);
  const viewRef = useRef<EditorView | null>(null);
  // The last text the editor reported or was given: a new `value` equal to it is no change.
  const textRef = useRef(props.value);
  const latest = useRef(props);
  useEffect(() => {
    latest.current = props;
  });

  useImperativeHandle(props.handle, () => ({ focus: () => viewRef.current?.focus() }), []);

  useEffect(() => {
    const parent = parentRef.current;
    if (!parent) return;
    const { extension: historyExtension, undo, redo } = history();
    const view = new EditorView({
      parent,
      state: EditorState.create({
        doc: textRef.current,
        extensions: [
          historyExtension,
          keymap.of([
            {
              key: 'Mod-z',
              run: (view) => undo(view) || (latest.current.onUndoEmpty?.() ?? false),
              preventDefault: true,
            },
            { key: 'Mod-y', run: redo, preventDefault: true },
            { key: 'Mod-Shift-z', run: redo, preventDefault: true },
            { key: 'Mod-a', run: selectAll },
            { key: 'Mod-Home', run: moveTo('start', false), shift: moveTo('start', true) },
            { key: 'Mod-End', run: moveTo('end', false), shift: moveTo('end', true) },
            { key: 'Enter', run: newLine },
          ]),
          EditorView.contentAttributes.of({
            'aria-labelledby': labelledBy,
            'aria-keyshortcuts': '/',
            translate: 'no',
            [PASTE_BOX_ATTRIBUTE]: '',
            ...(describedBy ? { 'aria-describedby': describedBy } : {}),
          }),
          EditorView.lineWrapping,
          theme,
          EditorView.updateListener.of((update) => {
            if (update.focusChanged) latest.current.onFocusChange(update.view.hasFocus);
            if (!update.docChanged) return;
            if (update.transactions.every((tr) => tr.annotation(fromOutside))) return;
            const text = update.state.doc.toString();
            textRef.current = text;
            latest.current.onChange(text);
          }),
        ],
      }),
    });
    viewRef.current = view;
    const at = latest.current.focusAt;
    if (at !== undefined) {
      const pos = Math.min(at, view.state.doc.length);
      view.dispatch({ selection: { anchor: pos }, scrollIntoView: true });
      view.focus();
    }
    return () => {
      view.destroy();
      viewRef.current = null;
    };
  }, [labelledBy, describedBy]);

  // A value set from outside (a restored draft, "Keep only…", "Restore the previous list").
  useEffect(() => {
    const view = viewRef.current;
    if (!view || props.value === textRef.current) return;
    textRef.current = props.value;
    view.dispatch({
      changes: { from: 0, to: view.state.doc.length, insert: props.value },
      annotations: fromOutside.of(true),
    });
  }, [props.value]);

  return <div ref={parentRef} />;
}
