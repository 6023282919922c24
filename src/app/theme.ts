import { createTheme, DEFAULT_THEME, type CSSVariablesResolver } from '@mantine/core';

export const theme = createTheme({
  primaryColor: 'indigo',
  // Shade 8 keeps white text above 4.5:1 contrast in light mode.
  primaryShade: { light: 8, dark: 6 },
  autoContrast: true,
  fontFamilyMonospace: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
  defaultRadius: 'sm',
});

const colorNames = Object.keys(DEFAULT_THEME.colors);

/**
 * Mantine's defaults put dimmed text and "light" variant labels (badges, alerts) under the WCAG AA
 * 4.5:1 contrast ratio; these darker (light scheme) and lighter (dark scheme) shades pass it.
 */
export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    '--mantine-color-placeholder': 'var(--mantine-color-gray-7)',
    ...Object.fromEntries(
      colorNames.map((c) => [`--mantine-color-${c}-light-color`, `var(--mantine-color-${c}-9)`]),
    ),
  },
  dark: {
    '--mantine-color-dimmed': 'var(--mantine-color-dark-1)',
    '--mantine-color-placeholder': 'var(--mantine-color-dark-1)',
    ...Object.fromEntries(
      colorNames.map((c) => [`--mantine-color-${c}-light-color`, `var(--mantine-color-${c}-2)`]),
    ),
  },
});
