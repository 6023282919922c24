// Tests render in English unless they switch (setCatalog) themselves; each test starts in English.
import { beforeEach } from 'vitest';
import { setCatalog } from '../i18n/i18n';
import { enCatalog as catalog } from './catalogs';

setCatalog('en', catalog);
beforeEach(() => setCatalog('en', catalog));
