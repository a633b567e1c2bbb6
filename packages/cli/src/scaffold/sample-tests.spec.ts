import type { SampleEntry } from '../samples/catalogue';
import { importsOf } from '../samples/catalogue';
import { genericPlan, testSource } from './sample-tests';

const sample = (files: string[]): SampleEntry => ({ name: 'rooms', description: 'Rooms.', about: 'Rooms.', files, ignored: [], packages: [] });

describe('genericPlan, for a sample the table does not know', () => {
  it('serves the first exported service, main.ts first, and connects to its path with :params filled in', () => {
    const sources: Record<string, string> = {
      'a-first.ts': "@WebSocketService({ path: '/other' })\nexport class Other {}",
      'main.ts': "import 'reflect-metadata';\n@WebSocketService({\n  path: '/rooms/:room/live', idleTimeout: 5 })\nexport class RoomService {}",
    };
    const plan = genericPlan(sample(['a-first.ts', 'main.ts']), (file) => sources[file]);
    expect(plan.title).toBe('accepts a connection on /rooms/test/live');
    expect(plan.imports).toContain("import { RoomService } from '../src/main';");
    expect(plan.start).toContain('services: [RoomService]');
    expect(plan.check).toContain('open(`${url}/rooms/test/live`)');
  });

  it('looks in the other files when main.ts declares no service', () => {
    const plan = genericPlan(sample(['main.ts', 'room-service.ts']), (file) =>
      file === 'main.ts' ? "import { RoomService } from './room-service';" : "@WebSocketService({ path: '/rooms' })\nexport class RoomService {}",
    );
    expect(plan.imports).toContain("import { RoomService } from '../src/room-service';");
  });

  it('only loads the main module when no file declares a service', () => {
    const plan = genericPlan(sample(['main.ts']), () => 'export async function main() {}');
    expect(plan.title).toBe('loads its main module without starting anything');
    expect(testSource(sample(['main.ts']), plan)).toContain("await import('../src/main')");
  });
});

describe('importsOf', () => {
  it('finds static, type-only, side-effect and dynamic imports and requires, and no "from" inside data', () => {
    const source = [
      "import 'reflect-metadata';",
      "import type { Backplane } from '@duet/websocket';",
      "import * as fs from 'node:fs';",
      "const { RedisBackplane } = (await import('@duet/redis')) as typeof import('@duet/redis');",
      "const express = require('express');",
      "expect(event).toMatchObject({ \"from\":\"ann\" });",
    ].join('\n');
    expect(importsOf(source)).toEqual(['reflect-metadata', '@duet/websocket', 'node:fs', '@duet/redis', '@duet/redis', 'express']);
  });
});
