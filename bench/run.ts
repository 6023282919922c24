/** `npm run bench`: benchmarks with their baselines and ratios (not part of `npm test`). */
import { benchPaste } from './paste.ts';
import { benchResults } from './results.ts';
import { benchResultsScroll } from './results-scroll.ts';

benchPaste();
benchResults();
await benchResultsScroll();
