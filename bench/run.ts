/** `npm run bench`: benchmarks with their baselines and ratios (not part of `npm test`). */
import { benchFindObject } from './find-object.ts';
import { benchGraph } from './graph.ts';
import { benchHistory } from './history.ts';
import { benchLinkCheck } from './link-check.ts';
import { benchLoad } from './load.ts';
import { benchObjects } from './objects.ts';
import { benchPacer } from './pacer.ts';
import { benchPaste } from './paste.ts';
import { benchResults } from './results.ts';
import { benchResultsScroll } from './results-scroll.ts';
import { benchRunBatch } from './run-batch.ts';
import { benchRunPairs } from './run-pairs.ts';
import { benchServerLatency } from './server-latency.ts';

await benchPaste();
benchResults();
await benchResultsScroll();
await benchRunBatch();
await benchRunPairs();
await benchPacer();
await benchServerLatency();
await benchHistory();
await benchLinkCheck();
await benchFindObject();
await benchObjects();
await benchGraph();
await benchLoad();
