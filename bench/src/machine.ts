// What the figures were measured on: the machine and the versions under test.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH_ROOT, REPO_ROOT } from './servers';

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  /** The commit measured, with "+ local changes" when Duet's sources differ from it. */
  commit: string;
  versions: Record<string, string>;
}

function commitOf(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const commit = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--', 'packages/websocket/src', 'samples/echo') === '' ? commit : `${commit} + local changes`;
  } catch {
    return 'unknown';
  }
}

function versionOf(packageJson: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

export function describeMachine(): MachineInfo {
  const duetWs = require.resolve('ws/package.json', { paths: [path.join(REPO_ROOT, 'packages/websocket')] });
  const versions: Record<string, string> = {};
  const add = (name: string, file: string) => {
    const version = existsSync(file) ? versionOf(file) : undefined;
    if (version !== undefined) versions[name] = version;
  };
  add('@duet/websocket', path.join(REPO_ROOT, 'packages/websocket/package.json'));
  add('ws (Duet and raw ws)', duetWs);
  for (const name of ['@nestjs/core', '@nestjs/websockets', '@nestjs/platform-ws', '@nestjs/platform-express']) {
    add(name, path.join(BENCH_ROOT, 'node_modules', name, 'package.json'));
  }
  add('ws (NestJS)', path.join(BENCH_ROOT, 'node_modules/ws/package.json'));
  add('bufferutil', path.join(BENCH_ROOT, 'node_modules/bufferutil/package.json'));
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    commit: commitOf(),
    versions,
  };
}
