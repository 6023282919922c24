/** `npm run bench`: benchmarks with their baselines and ratios (not part of `npm test`). */
import { benchPaste } from './paste.ts';

benchPaste();
