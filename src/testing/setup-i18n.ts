// Tests render in English unless they switch (setCatalog) themselves; each test starts in English.
import { beforeEach } from 'vitest';
import { corePart } from '../i18n/catalogs/en/core';
import { featuresPart } from '../i18n/catalogs/en/features';
import { setCatalog } from '../i18n/i18n';

const catalog = { ...corePart, ...featuresPart };
setCatalog('en', catalog);
beforeEach(() => setCatalog('en', catalog));
