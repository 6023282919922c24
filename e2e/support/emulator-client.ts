/**
 * Reads seed data for the tests straight from the embedded emulator's own listener (it speaks the
 * SecMaster API), so each test picks its own subject and related IDs instead of hard-coding them.
 * The emulator checks AK/SK signatures by default (EMULATOR_AUTH=aksk): every call is signed with
 * the documented demo pair, which the emulator always accepts (and which is valid nowhere else).
 */
import { expect, type APIRequestContext, type APIResponse } from '@playwright/test';
import { DEMO_AK, DEMO_SK } from '../../server/credentials';
import { signRequest } from 'apig-signing';

export interface SeedObject {
  id: string;
  title: string;
}

export class EmulatorClient {
  constructor(
    private readonly request: APIRequestContext,
    private readonly consoleURL: string,
    /** For a console that names no project before sign-in (IAM mode). */
    private readonly fixedProjectId?: string,
  ) {}

  private emulatorURL(): string {
    const url = new URL(this.consoleURL);
    return `http://127.0.0.1:${Number(url.port) + 1}`;
  }

  /** A call to the emulator, signed as the console (and the official SDK) signs it. */
  private async send(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    projectId: string,
    body?: unknown,
    timeoutMs?: number,
  ): Promise<APIResponse> {
    const url = `${this.emulatorURL()}${path}`;
    const data = body === undefined ? undefined : JSON.stringify(body);
    const signed = signRequest({
      method,
      url,
      headers: {
        Accept: 'application/json',
        'Content-Type': 'application/json',
        'X-Project-Id': projectId,
      },
      body: data,
      ak: DEMO_AK,
      sk: DEMO_SK,
      now: new Date(),
    });
    // The HTTP client sets Host itself, to the URL's host:port that was signed.
    const headers = Object.fromEntries(
      Object.entries(signed).filter(([name]) => name.toLowerCase() !== 'host'),
    );
    return this.request.fetch(url, {
      method,
      headers,
      ...(data === undefined ? {} : { data }),
      ...(timeoutMs === undefined ? {} : { timeout: timeoutMs }),
    });
  }

  /**
   * A read of SecMaster's state, asked again until it answers 2xx: an emulator with injected
   * faults (errors, throttling, hung and reset connections) injects them into the test's own
   * reads too, and a read changes nothing, so asking again is safe. At most 10 tries of 5 s.
   */
  private async read(
    method: 'GET' | 'POST',
    path: string,
    projectId: string,
    body?: unknown,
  ): Promise<APIResponse> {
    let last = 'no answer';
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        const res = await this.send(method, path, projectId, body, 5_000);
        if (res.ok()) return res;
        last = `HTTP ${res.status()}: ${await res.text()}`;
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
      }
    }
    throw new Error(`${method} ${path} never answered 2xx in 10 tries; last: ${last}`);
  }

  async projectId(): Promise<string> {
    if (this.fixedProjectId) return this.fixedProjectId;
    const res = await this.request.get(`${this.consoleURL}/api/config`);
    expect(res.ok()).toBe(true);
    const body = (await res.json()) as { projectId: string };
    return body.projectId;
  }

  async workspaces(): Promise<{ id: string; name: string }[]> {
    const pid = await this.projectId();
    const res = await this.read('GET', `/v1/${pid}/workspaces?offset=0&limit=10`, pid);
    expect(res.ok()).toBe(true);
    const body = (await res.json()) as { workspaces: { id: string; name: string }[] };
    return body.workspaces;
  }

  /** Objects of one class, `limit` of them from `offset`, oldest first. */
  async objects(
    workspaceId: string,
    dataclass: 'alerts' | 'incidents' | 'indicators',
    offset: number,
    limit: number,
  ): Promise<SeedObject[]> {
    const pid = await this.projectId();
    const res = await this.read(
      'POST',
      `/v1/${pid}/workspaces/${workspaceId}/soc/${dataclass}/search`,
      pid,
      {
        offset,
        limit,
        sort_by: 'create_time',
        order: 'ASC',
        condition: { conditions: [], logics: [] },
      },
    );
    expect(res.ok()).toBe(true);
    const body = (await res.json()) as {
      data: { id: string; data_object: { title?: string; name?: string; value?: string } }[];
    };
    return body.data.map((d) => ({
      id: d.id,
      title: d.data_object.title ?? d.data_object.name ?? d.data_object.value ?? d.id,
    }));
  }

  /** IDs currently linked to a subject (the list-associated-objects call). */
  async linkedIds(
    workspaceId: string,
    dataclass: string,
    objectId: string,
    related: string,
  ): Promise<string[]> {
    const pid = await this.projectId();
    const ids: string[] = [];
    for (let offset = 0; ; offset += 1000) {
      const res = await this.read(
        'POST',
        `/v1/${pid}/workspaces/${workspaceId}/soc/${dataclass}/${objectId}/${related}/search`,
        pid,
        { offset, limit: 1000 },
      );
      expect(res.ok()).toBe(true);
      const body = (await res.json()) as { data: { id: string }[]; total: number };
      ids.push(...body.data.map((d) => d.id));
      if (body.data.length < 1000) break;
    }
    return ids;
  }

  /**
   * Links (`link`) or unlinks (`unlink`) related IDs to a subject straight in the emulator, as
   * another SecMaster user would: the console knows nothing of it. Every ID must be accepted.
   */
  async writeLinks(
    how: 'link' | 'unlink',
    workspaceId: string,
    dataclass: string,
    objectId: string,
    related: string,
    ids: readonly string[],
  ): Promise<void> {
    const pid = await this.projectId();
    const res = await this.send(
      how === 'link' ? 'POST' : 'DELETE',
      `/v1/${pid}/workspaces/${workspaceId}/soc/${dataclass}/${objectId}/${related}`,
      pid,
      { ids },
    );
    expect(res.ok()).toBe(true);
    const body = (await res.json()) as { data?: { success_ids?: string[]; error_ids?: string[] } };
    expect(body.data?.error_ids ?? []).toEqual([]);
    expect([...(body.data?.success_ids ?? [])].sort()).toEqual([...ids].sort());
  }

  /**
   * The first workspace, one incident and a run of alerts, by position in the seed. Each test
   * takes its own positions (see e2e/support/slots.ts), so tests never share a subject.
   */
  async scene(slot: { incident: number; alerts?: [offset: number, count: number] }): Promise<{
    workspace: { id: string; name: string };
    incident: SeedObject;
    alerts: SeedObject[];
  }> {
    const [workspace] = await this.workspaces();
    if (!workspace) throw new Error('the emulator has no workspace');
    const [incident] = await this.objects(workspace.id, 'incidents', slot.incident, 1);
    if (!incident) throw new Error(`the seed has no incident at ${slot.incident}`);
    const alerts = slot.alerts
      ? await this.objects(workspace.id, 'alerts', slot.alerts[0], slot.alerts[1])
      : [];
    return { workspace, incident, alerts };
  }
}
