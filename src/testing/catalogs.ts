/** Whole catalogs (both parts) for tests that switch the language by hand (setCatalog). */
import { corePart as enCore } from '../i18n/catalogs/en/core';
import { featuresPart as enFeatures } from '../i18n/catalogs/en/features';
import { corePart as zhCore } from '../i18n/catalogs/zh-CN/core';
import { featuresPart as zhFeatures } from '../i18n/catalogs/zh-CN/features';

export const enCatalog = { ...enCore, ...enFeatures };
export const zhCatalog = { ...zhCore, ...zhFeatures };
