import type { ReactNode } from 'react';
import type { Messages } from '../../../messages';

export const graph = {
  'graph.region': 'Relation graph',
  'graph.nodeName': ({ cls, title, severity }: { cls: string; title: string; severity: string }) =>
    `${cls} ${title} (${severity})`,
  /** A node's role, read after its name (xyflow's word is "node"). */
  'graph.nodeRole': 'node',
  'graph.noSeverity': 'no severity',
  'graph.expand': 'Expand',
  'graph.expandNamed': ({ title }: { title: string }) => `Expand ${title}`,
  'graph.reading': 'Reading…',
  'graph.readingLinksOf': ({ title }: { title: string }) => `Reading the links of ${title}`,
  'graph.nodeHelp':
    'Press Enter to open this object, + or Space to show its links, the arrow keys to move to another object.',
  /** xyflow's own words for its (hidden) edge help: the graph draws no xyflow edges. */
  'graph.edgeHelp':
    'Press enter or space to select an edge. You can then press delete to remove it or escape to cancel.',
  'graph.controls': 'Graph view controls',
  'graph.zoomIn': 'Zoom in',
  'graph.zoomOut': 'Zoom out',
  'graph.fitView': 'Fit the graph in view',
  'graph.readingLinks': 'Reading the links…',
  'graph.showing': ({ count, more, cap }: { count: number; more: number; cap: number }, f) =>
    `Showing ${f.number(count)} ${count === 1 ? 'object' : 'objects'}${
      more > 0 ? `, and ${f.number(more)} more not drawn (at most ${f.number(cap)} at once)` : ''
    }.`,
  'graph.linksError': ({ title }: { title: ReactNode }) => ['Could not read the links of ', title],
  'graph.tryAgain': 'Try again',
  'graph.legendClass': 'Class',
  'graph.legendSeverity': 'Severity',
  'graph.configError': "Could not read the console's settings",
  'graph.loading': 'Loading the graph',
  'graph.objectError': 'Could not read this object',
} satisfies Messages;
