/**
 * The object page (`/objects/{class}/{id}`): the object's title, severity, status and times, its
 * links in every class (tab "Links"), the relation graph (tab "Graph") and the batches that touched
 * it. The workspace is the header's choice; the URL alone names the object, so it survives a
 * reload and can be pasted into a ticket.
 */
import { Alert, Loader, Stack, Tabs, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Suspense } from 'react';
import { useNavigate, useParams } from 'react-router';
import { dataclassTypes, isWellFormedId, type ConsoleConfig } from '../api/schemas';
import { LinkedObjects } from '../features/objects/linked-objects';
import { ObjectLoadError, ObjectSummary } from '../features/objects/object-summary';
import { isDataclass, objectsQueries } from '../features/objects/queries';
import { TouchingBatches } from '../features/objects/touching-batches';
import { useT } from '../i18n/i18n';
import { paths } from '../lib/paths';
import { dataclassSingular } from '../lib/words';
import { LazyMoveDialog, LazyRelationGraph, relationGraph } from './lazy-features';

export function ObjectPage({
  config,
  workspaceId,
  workspacesPending = false,
}: {
  config: ConsoleConfig;
  workspaceId: string | null;
  workspacesPending?: boolean;
}) {
  const t = useT();
  const { dataclass, objectId = '' } = useParams();
  if (!isDataclass(dataclass)) {
    return (
      <Alert color="gray" title={t('panels.notFound')} role="alert">
        {t('panels.noSuchClass', {
          name: (
            <span key="name" translate="no">
              {dataclass}
            </span>
          ),
        })}
      </Alert>
    );
  }
  if (!workspaceId) {
    return workspacesPending ? (
      <Loader size="sm" role="status" aria-label={t('shell.loadingWorkspaces')} />
    ) : (
      <Alert color="gray" title={t('shell.noWorkspace')}>
        {t('panels.chooseWorkspaceForObject')}
      </Alert>
    );
  }
  return (
    <ObjectView
      // A new object (or workspace) starts with nothing selected, searched or paged.
      key={`${workspaceId}/${dataclass}/${objectId}`}
      projectId={config.projectId}
      workspaceId={workspaceId}
      dataclass={dataclass}
      objectId={objectId}
    />
  );
}

function ObjectView({
  projectId,
  workspaceId,
  dataclass,
  objectId,
}: {
  projectId: string;
  workspaceId: string;
  dataclass: (typeof dataclassTypes)[number];
  objectId: string;
}) {
  const t = useT();
  const navigate = useNavigate();
  const wellFormed = isWellFormedId(objectId);
  const object = useQuery({
    ...objectsQueries.object(projectId, workspaceId, dataclass, objectId),
    enabled: wellFormed,
  });
  // A cancel made here opens its batch page, which refreshes every list of links once the batch
  // has settled (AssociatePage).
  const openBatch = (id: string) => void navigate(paths.batch(id));

  if (!wellFormed) {
    return (
      <Alert color="gray" title={t('panels.notFound')} role="alert">
        {t('panels.noObjectWithId', {
          what: dataclassSingular(dataclass),
          id: (
            <Text key="id" span ff="monospace" size="sm" translate="no">
              {objectId}
            </Text>
          ),
        })}
      </Alert>
    );
  }
  if (object.isPending)
    return <Loader size="sm" role="status" aria-label={t('shell.loadingObject')} />;
  if (object.isError) {
    return <ObjectLoadError dataclass={dataclass} objectId={objectId} error={object.error} />;
  }

  return (
    <Stack gap="md">
      <ObjectSummary dataclass={dataclass} detail={object.data.data} />
      <Tabs defaultValue="links" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="links">{t('panels.tabLinks')}</Tabs.Tab>
          {/* Its chunk (xyflow) starts loading as soon as the pointer or focus nears the tab. */}
          <Tabs.Tab
            value="graph"
            onMouseEnter={relationGraph.preload}
            onFocus={relationGraph.preload}
          >
            {t('panels.tabGraph')}
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="links" pt="sm">
          <Stack gap="md">
            {dataclassTypes.map((related) => (
              <LinkedObjects
                key={related}
                projectId={projectId}
                workspaceId={workspaceId}
                dataclass={dataclass}
                objectId={objectId}
                related={related}
                onBatchCreated={openBatch}
                // The move dialog's chunk loads when "Move selected" first opens it.
                renderMoveDialog={(r) =>
                  r.opened ? (
                    <Suspense fallback={null}>
                      <LazyMoveDialog {...r} />
                    </Suspense>
                  ) : null
                }
              />
            ))}
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="graph" pt="sm">
          <Suspense
            fallback={<Loader size="sm" role="status" aria-label={t('panels.loadingGraph')} />}
          >
            <LazyRelationGraph
              workspaceId={workspaceId}
              dataclass={dataclass}
              objectId={objectId}
              onOpen={(c, id) => void navigate(paths.object(c, id))}
            />
          </Suspense>
        </Tabs.Panel>
      </Tabs>
      <TouchingBatches objectId={objectId} />
    </Stack>
  );
}
