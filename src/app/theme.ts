import {
  createTheme,
  DEFAULT_THEME,
  type CSSVariablesResolver,
  type MantineColorsTuple,
} from '@mantine/core';
import { t } from '../i18n/i18n';

function rgb(hex: string): [number, number, number] {
  const h = hex.replace('#', '');
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)) as [number, number, number];
}

function toHex([r, g, b]: [number, number, number]): string {
  return `#${[r, g, b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;
}

function luminance(c: [number, number, number]): number {
  const [r, g, b] = c.map((v) => {
    const x = v / 255;
    return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: [number, number, number], b: [number, number, number]): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * Darkens shades 8 and 9 of a palette until shade 9 reads at WCAG AA (4.6:1, with a margin) on
 * white, on the off-white table stripe and on the palette's light tints (shade 1, and shade 6 at
 * 10 % over white), where Mantine puts badge and light-button labels.
 */
function accessiblePalette(colors: MantineColorsTuple): MantineColorsTuple {
  const tint = rgb(colors[6]).map((v) => 255 - (255 - v) * 0.1) as [number, number, number];
  const backgrounds: [number, number, number][] = [
    [255, 255, 255],
    [248, 249, 250],
    tint,
    rgb(colors[1]),
  ];
  let nine = rgb(colors[9]);
  while (Math.min(...backgrounds.map((bg) => contrast(nine, bg))) < 4.6) {
    nine = nine.map((v) => v * 0.92) as [number, number, number];
  }
  const eight = rgb(colors[8]).map((v, i) => Math.min(v, (v + nine[i]!) / 2)) as [
    number,
    number,
    number,
  ];
  const out = [...colors];
  out[8] = toHex(eight);
  out[9] = toHex(nine);
  return out as unknown as MantineColorsTuple;
}

const colors = Object.fromEntries(
  Object.entries(DEFAULT_THEME.colors).map(([name, palette]) => [name, accessiblePalette(palette)]),
);

const closeButtonName = {
  get 'aria-label'(): string {
    return t('common.close');
  },
};

export const theme = createTheme({
  colors,
  primaryColor: 'indigo',
  // Shade 8 keeps white text on filled buttons above 4.5:1 contrast in both schemes.
  primaryShade: { light: 8, dark: 8 },
  autoContrast: true,
  fontFamilyMonospace: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
  defaultRadius: 'sm',
  components: {
    // Mantine's close button (×) has no accessible name of its own (axe button-name). The name is
    // read as each dialog renders (Mantine spreads these props then), in the current language.
    // A plain theme entry, not `Modal.extend(...)`: that would import Modal (and its scroll lock
    // and focus trap) onto the first page, which opens no dialog.
    Modal: { defaultProps: { closeButtonProps: closeButtonName } },
  },
});

/**
 * Mantine's defaults put dimmed text, coloured text and "light" variant labels (badges, alerts)
 * under the WCAG AA 4.5:1 contrast ratio; these shades pass it in both schemes.
 */
export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    '--mantine-color-placeholder': 'var(--mantine-color-gray-7)',
    ...Object.fromEntries(
      Object.keys(colors).flatMap((c) => [
        [`--mantine-color-${c}-light-color`, `var(--mantine-color-${c}-9)`],
        [`--mantine-color-${c}-text`, `var(--mantine-color-${c}-9)`],
        [`--mantine-color-${c}-outline`, `var(--mantine-color-${c}-9)`],
      ]),
    ),
  },
  dark: {
    '--mantine-color-dimmed': 'var(--mantine-color-dark-1)',
    '--mantine-color-placeholder': 'var(--mantine-color-dark-1)',
    ...Object.fromEntries(
      Object.keys(colors).flatMap((c) => [
        [`--mantine-color-${c}-light-color`, `var(--mantine-color-${c}-2)`],
        [`--mantine-color-${c}-text`, `var(--mantine-color-${c}-3)`],
        [`--mantine-color-${c}-outline`, `var(--mantine-color-${c}-3)`],
      ]),
    ),
  },
});
