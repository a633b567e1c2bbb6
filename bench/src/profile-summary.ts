// Reads V8 profiles into tables: a CPU profile (.cpuprofile) as self time per function and per
// area (Duet, ws, Node's internals, GC…), and an allocation-sampling profile as bytes and objects
// per function, divided by how many messages (or connections) the window handled.
import path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; hitCount?: number }[];
  samples: number[];
}

interface HeapNode {
  id: number;
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}

interface HeapProfile {
  head: HeapNode;
  samples: { size: number; nodeId: number }[];
}

/** Where a function lives: the part of the stack it belongs to. */
export function areaOf(url: string, name: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(program)' || name === '(idle)' || name === '(root)') return name;
  if (url.includes('/packages/websocket/')) return 'Duet (@duet/websocket)';
  if (url.includes('/node_modules/ws/')) return 'ws';
  if (url.includes('/node_modules/inversify') || url.includes('/node_modules/@inversifyjs/')) return 'inversify';
  if (url.includes('/node_modules/@nestjs/') || url.includes('/node_modules/rxjs/')) return 'NestJS + rxjs';
  if (url.includes('/bench/servers/') || url.includes('/samples/')) return 'the server file';
  if (url.startsWith('node:') || url === '') return 'Node.js internals and builtins';
  return path.basename(url);
}

function frameName(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  if (frame.url === '') return name;
  const file = frame.url.replace(/^file:\/\//, '');
  const short = file.includes('/node_modules/')
    ? file.slice(file.lastIndexOf('/node_modules/') + '/node_modules/'.length)
    : file.includes('/packages/websocket/')
      ? file.slice(file.indexOf('/packages/websocket/') + 1)
      : path.basename(file);
  return `${short}:${name}:${frame.lineNumber + 1}`;
}

export interface CpuSummary {
  /** Samples in the profile that were not idle. */
  busySamples: number;
  byArea: { area: string; percent: number }[];
  byFunction: { frame: string; area: string; percent: number }[];
}

export function summarizeCpu(profile: CpuProfile, top = 25): CpuSummary {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  for (const id of profile.samples) self.set(id, (self.get(id) ?? 0) + 1);
  let busy = 0;
  const areas = new Map<string, number>();
  const functions = new Map<string, { area: string; count: number }>();
  for (const [id, count] of self) {
    const { callFrame } = byNode.get(id)!;
    if (callFrame.functionName === '(idle)') continue;
    busy += count;
    const area = areaOf(callFrame.url, callFrame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + count);
    const key = frameName(callFrame);
    const entry = functions.get(key) ?? { area, count: 0 };
    entry.count += count;
    functions.set(key, entry);
  }
  const percent = (count: number) => (100 * count) / Math.max(1, busy);
  return {
    busySamples: busy,
    byArea: [...areas].map(([area, count]) => ({ area, percent: percent(count) })).sort((a, b) => b.percent - a.percent),
    byFunction: [...functions]
      .map(([frame, { area, count }]) => ({ frame, area, percent: percent(count) }))
      .sort((a, b) => b.percent - a.percent)
      .slice(0, top),
  };
}

export interface AllocationSummary {
  bytesPerUnit: number;
  byArea: { area: string; bytesPerUnit: number }[];
  bySite: { frame: string; area: string; bytesPerUnit: number }[];
}

/**
 * `units` is what the window handled (messages, connections). V8 scales each sample to an
 * estimate of all the bytes allocated there (the format keeps no object counts), so this is
 * bytes per unit, by the function that allocated them.
 */
export function summarizeAllocations(profile: HeapProfile, units: number, top = 20): AllocationSummary {
  const sites = new Map<string, { area: string; bytes: number }>();
  const areas = new Map<string, number>();
  let bytes = 0;
  const visit = (node: HeapNode) => {
    if (node.selfSize > 0) {
      const area = areaOf(node.callFrame.url, node.callFrame.functionName);
      const key = frameName(node.callFrame);
      const entry = sites.get(key) ?? { area, bytes: 0 };
      entry.bytes += node.selfSize;
      sites.set(key, entry);
      areas.set(area, (areas.get(area) ?? 0) + node.selfSize);
      bytes += node.selfSize;
    }
    for (const child of node.children) visit(child);
  };
  visit(profile.head);
  return {
    bytesPerUnit: bytes / units,
    byArea: [...areas].map(([area, total]) => ({ area, bytesPerUnit: total / units })).sort((a, b) => b.bytesPerUnit - a.bytesPerUnit),
    bySite: [...sites]
      .map(([frame, entry]) => ({ frame, area: entry.area, bytesPerUnit: entry.bytes / units }))
      .filter((site) => site.bytesPerUnit >= 0.5)
      .sort((a, b) => b.bytesPerUnit - a.bytesPerUnit)
      .slice(0, top),
  };
}

export function cpuTable(summary: CpuSummary): string[] {
  const lines = ['| area | % of busy CPU |', '|---|---:|'];
  for (const { area, percent } of summary.byArea) lines.push(`| ${area} | ${percent.toFixed(1)} |`);
  lines.push('', '| function (self time) | area | % |', '|---|---|---:|');
  for (const { frame, area, percent } of summary.byFunction) lines.push(`| \`${frame}\` | ${area} | ${percent.toFixed(1)} |`);
  return lines;
}

export function allocationTable(summary: AllocationSummary, unit: string): string[] {
  const lines = [
    `Total: ${summary.bytesPerUnit.toFixed(0)} bytes per ${unit}.`,
    '',
    `| area | bytes per ${unit} |`,
    '|---|---:|',
  ];
  for (const { area, bytesPerUnit } of summary.byArea) lines.push(`| ${area} | ${bytesPerUnit.toFixed(0)} |`);
  lines.push('', `| allocation site | area | bytes per ${unit} |`, '|---|---|---:|');
  for (const site of summary.bySite) lines.push(`| \`${site.frame}\` | ${site.area} | ${site.bytesPerUnit.toFixed(0)} |`);
  return lines;
}
