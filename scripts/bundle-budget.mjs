// The first page's JavaScript, gzipped, must stay under the budget (size is not noisy, so this
// runs in `npm test`). Reads dist/index.html for the entry script and its modulepreloads.
import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';

// The target: under 200 kB. What the first screen does not need is code-split
// (src/app/lazy-features.ts); long-lived vendor chunks are named in vite.config.ts.
const BUDGET = Number(process.env.BUNDLE_BUDGET_KB ?? 200) * 1024;
const html = readFileSync('dist/index.html', 'utf8');
const files = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
// Libraries only a lazy chunk may hold, found by a string their code always has.
const LAZY_ONLY = [{ name: '@xyflow/react (the relation graph)', marker: 'react-flow__' }];
let total = 0;
let misplaced = false;
for (const f of files) {
  const code = readFileSync(join('dist', f));
  for (const { name, marker } of LAZY_ONLY) {
    if (code.includes(marker)) {
      console.error(`  ${f} holds ${name}, which must stay in a lazy chunk.`);
      misplaced = true;
    }
  }
  const size = gzipSync(code).length;
  total += size;
  console.log(`  ${f}: ${(size / 1024).toFixed(1)} kB gzipped`);
}
// The first render waits for the chosen language's core catalog (src/i18n/load.ts): each
// language's first page is the entry, its preloads and that chunk.
let over = false;
for (const language of ['en', 'zh-CN']) {
  const chunk = readdirSync(join('dist', 'assets')).find(
    (f) => f.startsWith(`catalog-${language}-core-`) && f.endsWith('.js'),
  );
  if (!chunk) {
    console.error(
      `  No catalog chunk for ${language} (vite.config.ts names them catalog-<language>-<part>).`,
    );
    process.exit(1);
  }
  const size = gzipSync(readFileSync(join('dist', 'assets', chunk))).length;
  const page = total + size;
  console.log(
    `First-page JavaScript in ${language}: ${(page / 1024).toFixed(1)} kB gzipped (catalog ${(size / 1024).toFixed(1)} kB; budget ${BUDGET / 1024} kB)`,
  );
  if (page > BUDGET) over = true;
}
if (over) {
  console.error('Over budget.');
  process.exit(1);
}
if (misplaced) process.exit(1);
