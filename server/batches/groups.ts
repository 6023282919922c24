/**
 * Groups of batches without HTTP: a batch of pairs (pairs.ts: one child batch per subject) and a
 * move (moves.ts: link on the destination, then unlink from the source). A group is a row of
 * `batches` (kind `pairs` or `move`) with no work of its own; its children are ordinary batches,
 * run, retried, undone and exported by the per-batch rules (service.ts) and the runner, which
 * know nothing about groups. The database keeps a group's state derived from its children's
 * (ledger.ts); this module creates groups, starts and controls their children, presents their
 * summaries and, for moves, creates the second phase once the first has ended (moves.ts).
 *
 * Each child runs on the credential of whoever created (or last resumed) the group, as a batch
 * does (access/credentials.ts): its source is recorded with it, the session in memory.
 *
 * The ledger is read and written through the service stores (server/db/service-stores.ts), as the
 * batch service does (service.ts says how the checks that allow a write are repeated in its
 * transaction).
 */
import type { CallCredentials, CallIdentity } from '../access/credentials';
import { CHILDREN_AT_ONCE, type Runner } from './engine/runner';
import type { MoveResult } from './group-records';
import type { BatchRecord } from './ledger';
import type { GroupRecordsStore } from '../db/group-records-store';
import type { ServiceStores, TxStores } from '../db/service-stores';
import {
  ACTIVE_STATES,
  ServiceError,
  recordOnce,
  type BatchContext,
  type BatchService,
  type Created,
  type PresentedBatch,
} from './service';

/** A pairs group as the API shows it. */
export type PairsSummary = PresentedBatch & { subjects: number; invalid_pairs: number };

/** A move as the API shows it. */
export type MoveSummary = PresentedBatch & {
  source_id: string;
  destination_id: string;
  link_batch_id: string | null;
  unlink_batch_id: string | null;
  results: Record<MoveResult, number>;
};

export type GroupRunner = Pick<Runner, 'start' | 'whenIdle'>;

export interface GroupDeps {
  /** The ledger's stores (SQLite or PostgreSQL). */
  stores: ServiceStores;
  runner: GroupRunner;
  /** The per-batch rules: every child is retried, undone and controlled through them. */
  batches: BatchService;
  credentials?: Pick<CallCredentials, 'assign'> | undefined;
  log?: (message: string) => void;
}

/** What pairs.ts and moves.ts share. */
export interface GroupKit {
  readonly deps: GroupDeps;
  readonly groupRecords: GroupRecordsStore;
  /** The group, or a 404 (or 404 when it is not of `kind`). */
  found(id: string, kind?: BatchRecord['kind']): Promise<BatchRecord>;
  /**
   * Creates a group once per idempotency key (in one transaction: `lock`, the row locked first,
   * see service.ts `recordOnce`), then starts its running children.
   */
  createOnce(
    ctx: BatchContext,
    request: unknown,
    create: (tx: TxStores) => Promise<BatchRecord>,
    lock?: string,
  ): Promise<Created>;
  /**
   * Starts the group's running children on `identity` (remembered for what the group adds later);
   * the runner runs at most CHILDREN_AT_ONCE of a group at a time (the next when one stops), as
   * when a group is resumed or recovered at start-up.
   */
  startChildren(groupId: string, identity: CallIdentity | undefined): Promise<void>;
  /** Resolves once every child startChildren queued has been run until it stopped (at once if none). */
  whenRun(groupId: string): Promise<void>;
  /** The identity a group's children run on in this process, if it was created or resumed here. */
  identityOf(groupId: string): CallIdentity | undefined;
  /** From now on the group's children (those it adds later too) run on `identity`. */
  remember(groupId: string, identity: CallIdentity): void;
  /** The group's children, oldest first (`on`: as a transaction's stores read them). */
  children(groupId: string, on?: Pick<TxStores, 'ledger' | 'groups'>): Promise<BatchRecord[]>;
}

export { ACTIVE_STATES, CHILDREN_AT_ONCE };

const CONTROL_WORDS = { pause: 'paused', resume: 'resumed', stop: 'stopped' } as const;
export type GroupControl = keyof typeof CONTROL_WORDS;

export function createGroupKit(deps: GroupDeps): GroupKit {
  const { stores, runner } = deps;
  const { ledger } = stores;
  const groupRecords = stores.groups;
  const identities = new Map<string, CallIdentity>();
  /** Groups with children queued by startChildren, and when every one of them has been run. */
  const starting = new Map<string, Promise<void>>();

  const children = async (
    groupId: string,
    from?: Pick<TxStores, 'ledger' | 'groups'>,
  ): Promise<BatchRecord[]> => {
    const on = from ?? stores;
    const out: BatchRecord[] = [];
    for (const id of await on.groups.children(groupId)) {
      const b = await on.ledger.getBatch(id);
      if (b) out.push(b);
    }
    return out;
  };

  const kit: GroupKit = {
    deps,
    groupRecords,
    async found(id, kind) {
      const group = await deps.batches.get(id);
      if (!group || (kind !== undefined && group.kind !== kind)) {
        throw new ServiceError(
          404,
          'NOT_FOUND',
          kind === 'move' ? 'no such move' : 'no such batch',
        );
      }
      return group;
    },
    async createOnce(ctx, request, create, lock) {
      const recorded = await recordOnce(stores, ctx, request, create, lock);
      if (recorded.replayed) return recorded;
      const created = recorded.batch;
      await kit.startChildren(created.id, ctx.identity);
      return { batch: (await ledger.getBatch(created.id)) ?? created, replayed: false };
    },
    async startChildren(groupId, identity) {
      if (identity) identities.set(groupId, identity);
      // A child stopped between this read and its start is not run: the runner reads its state.
      // One read for all of them (a pairs group has up to a thousand).
      const queue = await groupRecords.runningChildren(groupId);
      // Created with its source (credential_source): only this process's memory is told.
      if (identity)
        for (const id of queue) void deps.credentials?.assign(id, identity, { recorded: true });
      if (queue.length === 0) return;
      // The runner's promises never reject; each settles when its child stops running (a child
      // paused or stopped while it waits for its turn is not run: the runner reads its state).
      const done = Promise.all(queue.map((id) => runner.start(id))).then(() => undefined);
      const all = (starting.get(groupId) ?? Promise.resolve()).then(() => done);
      starting.set(groupId, all);
      void all.then(() => {
        if (starting.get(groupId) === all) starting.delete(groupId);
      });
    },
    whenRun: (groupId) => starting.get(groupId) ?? Promise.resolve(),
    identityOf: (groupId) => identities.get(groupId),
    remember(groupId, identity) {
      identities.set(groupId, identity);
    },
    children,
  };
  return kit;
}

/**
 * Pause, resume or stop every child that the state allows, one after the other; a group none of
 * whose children could be is refused as a batch would be. Resumed children run on `identity` from
 * now on.
 */
export async function controlGroup(
  kit: GroupKit,
  group: BatchRecord,
  method: GroupControl,
  identity: CallIdentity | undefined,
): Promise<void> {
  let any = false;
  for (const child of await kit.children(group.id)) {
    try {
      if (method === 'resume') await kit.deps.batches.resume(child.id, { identity });
      else await kit.deps.batches[method](child.id);
      any = true;
    } catch (err) {
      if (!(err instanceof ServiceError)) throw err;
    }
  }
  if (!any) {
    const now = (await kit.deps.stores.ledger.getBatchState(group.id)) ?? group.state;
    throw new ServiceError(
      409,
      'INVALID_STATE',
      `a ${now} batch cannot be ${CONTROL_WORDS[method]}`,
    );
  }
}
