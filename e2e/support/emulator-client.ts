/**
 * Reads seed data for the tests straight from the embedded emulator's own listener (it speaks the
 * SecMaster API), so each test picks its own subject and related IDs instead of hard-coding them.
 */
import { expect, type APIRequestContext } from '@playwright/test';

export interface SeedObject {
  id: string;
  title: string;
}

export class EmulatorClient {
  constructor(
    private readonly request: APIRequestContext,
    private readonly consoleURL: string,
  ) {}

  private emulatorURL(): string {
    const url = new URL(this.consoleURL);
    return `http://127.0.0.1:${Number(url.port) + 1}`;
  }

  async projectId(): Promise<string> {
    const res = await this.request.get(`${this.consoleURL}/api/config`);
    expect(res.ok()).toBe(true);
    const body = (await res.json()) as { projectId: string };
    return body.projectId;
  }

  async workspaces(): Promise<{ id: string; name: string }[]> {
    const pid = await this.projectId();
    const res = await this.request.get(`${this.emulatorURL()}/v1/${pid}/workspaces?offset=0&limit=10`);
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
    const res = await this.request.post(
      `${this.emulatorURL()}/v1/${pid}/workspaces/${workspaceId}/soc/${dataclass}/search`,
      {
        data: { offset, limit, sort_by: 'create_time', order: 'ASC', condition: { conditions: [], logics: [] } },
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
      const res = await this.request.post(
        `${this.emulatorURL()}/v1/${pid}/workspaces/${workspaceId}/soc/${dataclass}/${objectId}/${related}/search`,
        { data: { offset, limit: 1000 } },
      );
      expect(res.ok()).toBe(true);
      const body = (await res.json()) as { data: { id: string }[]; total: number };
      ids.push(...body.data.map((d) => d.id));
      if (body.data.length < 1000) break;
    }
    return ids;
  }
}
