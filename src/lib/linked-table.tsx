/**
 * The table of objects linked to a subject, shared by the region "Current associations" (the
 * associate page) and the object page's "Linked …" regions: a checkbox per row and one for the
 * page, the title as a link to the object's own page, the ID, severity and status; and the pager
 * under it. The selection is a map from ID to title, kept by the caller across pages and searches,
 * so a confirmation can list exactly what was chosen.
 */
import { Anchor, Box, Checkbox, Group, Pagination, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import type { DataclassType, DataObjectDetail } from '../api/schemas';
import { useT } from '../i18n/i18n';
import { objectTitle } from './object-picker';
import { paths } from './paths';
import { SeverityText, StatusText } from './secmaster-values';

/** Selected IDs, in the order chosen, each with its title ('' where unknown). */
export type LinkedSelection = ReadonlyMap<string, string>;

export const noSelection: LinkedSelection = new Map();

/** The ID to act on and link to for a linked object (`data_object.id`, else the detail's own). */
export function linkedObjectId(detail: DataObjectDetail): string {
  return detail.data_object.id || detail.id;
}

/** `selection` with `rows` added (`checked`) or removed. */
export function toggleRows(
  selection: LinkedSelection,
  rows: readonly DataObjectDetail[],
  checked: boolean,
): LinkedSelection {
  const next = new Map(selection);
  for (const detail of rows) {
    const id = linkedObjectId(detail);
    if (checked) next.set(id, objectTitle(detail));
    else next.delete(id);
  }
  return next;
}

const ellipsis = { overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' } as const;

export function LinkedTable({
  related,
  rows,
  selection,
  onSelectionChange,
  tableLabel,
  selectPageLabel,
  pending,
  fetching,
  stale,
}: {
  /** The class of the rows. */
  related: DataclassType;
  rows: readonly DataObjectDetail[];
  selection: LinkedSelection;
  onSelectionChange: (next: LinkedSelection) => void;
  /** The table's accessible name. */
  tableLabel: string;
  /** The name of the header's checkbox that selects the rows in view. */
  selectPageLabel: string;
  /** Nothing read yet: a loading row. */
  pending: boolean;
  /** A read is under way (`aria-busy`). */
  fetching: boolean;
  /** The rows are the previous page's, shown dimmed until the new page arrives. */
  stale: boolean;
}) {
  const t = useT();
  const selectedOnPage = rows.filter((d) => selection.has(linkedObjectId(d))).length;
  return (
    <Table.ScrollContainer minWidth={600}>
      <Table
        layout="fixed"
        striped
        highlightOnHover
        withTableBorder
        verticalSpacing={4}
        horizontalSpacing="xs"
        fz="xs"
        aria-label={tableLabel}
        aria-busy={fetching}
        style={{ opacity: stale ? 0.7 : 1 }}
      >
        <colgroup>
          <col style={{ width: 36 }} />
          <col />
          <col style={{ width: '36%' }} />
          <col style={{ width: 90 }} />
          <col style={{ width: 110 }} />
        </colgroup>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>
              <Checkbox
                size="xs"
                aria-label={selectPageLabel}
                checked={rows.length > 0 && selectedOnPage === rows.length}
                indeterminate={selectedOnPage > 0 && selectedOnPage < rows.length}
                disabled={rows.length === 0}
                onChange={(e) =>
                  onSelectionChange(toggleRows(selection, rows, e.currentTarget.checked))
                }
              />
            </Table.Th>
            <Table.Th>
              {t(related === 'indicators' ? 'common.colNameValue' : 'common.colTitle')}
            </Table.Th>
            <Table.Th>{t('common.colId')}</Table.Th>
            <Table.Th>{t('common.colSeverity')}</Table.Th>
            <Table.Th>{t('common.colStatus')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {pending ? (
            <Table.Tr>
              <Table.Td colSpan={5}>
                <Text size="xs" c="dimmed">
                  {t('common.loading')}
                </Text>
              </Table.Td>
            </Table.Tr>
          ) : (
            rows.map((detail) => (
              <LinkedRow
                key={linkedObjectId(detail)}
                related={related}
                detail={detail}
                selected={selection.has(linkedObjectId(detail))}
                onToggle={(checked) => onSelectionChange(toggleRows(selection, [detail], checked))}
              />
            ))
          )}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function LinkedRow({
  related,
  detail,
  selected,
  onToggle,
}: {
  related: DataclassType;
  detail: DataObjectDetail;
  selected: boolean;
  onToggle: (checked: boolean) => void;
}) {
  const t = useT();
  const id = linkedObjectId(detail);
  const o = detail.data_object;
  const title = objectTitle(detail);
  const severity = o.severity ?? '';
  const status = o.handle_status ?? o.status ?? '';
  const strong = severity === 'Fatal' || severity === 'High';
  // On a selected row's tint the coloured words fall under 4.5:1: bold in the body colour there.
  const severityColor = selected || !strong ? undefined : severity === 'Fatal' ? 'red' : 'orange';
  return (
    <Table.Tr bg={selected ? 'var(--mantine-primary-color-light)' : undefined}>
      <Table.Td>
        {/* Its name holds the ID: already in the console's language, left as it is. */}
        <Checkbox
          size="xs"
          translate="no"
          aria-label={t('common.selectRow', { id })}
          checked={selected}
          onChange={(e) => onToggle(e.currentTarget.checked)}
        />
      </Table.Td>
      <Table.Td style={ellipsis}>
        <Anchor
          component={Link}
          to={paths.object(related, id)}
          size="xs"
          title={title}
          translate="no"
        >
          {title}
        </Anchor>
      </Table.Td>
      <Table.Td style={ellipsis} title={id} translate="no">
        <Text span ff="monospace" size="xs">
          {id}
        </Text>
      </Table.Td>
      <Table.Td>
        <Text span size="xs" c={severityColor} fw={strong ? 600 : undefined}>
          <SeverityText value={severity} />
        </Text>
      </Table.Td>
      <Table.Td>
        <StatusText value={status} />
      </Table.Td>
    </Table.Tr>
  );
}

/** The pages of a linked table, in a navigation landmark named `label`; nothing for one page. */
export function TablePager({
  label,
  total,
  pageSize,
  page,
  onChange,
}: {
  label: string;
  total: number;
  pageSize: number;
  page: number;
  onChange: (page: number) => void;
}) {
  const t = useT();
  if (total <= pageSize) return null;
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return (
    <Group justify="flex-end">
      <Box component="nav" aria-label={label}>
        <Pagination
          size="sm"
          total={pages}
          value={Math.min(page, pages)}
          onChange={onChange}
          withEdges
          getControlProps={(control) => ({
            'aria-label': t('common.pageControl', { control }),
          })}
          getItemProps={(n) => ({ 'aria-label': t('common.pageN', { n }) })}
        />
      </Box>
    </Group>
  );
}
