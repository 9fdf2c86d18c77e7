import { promises as fs } from 'node:fs';

/** The parts of a V8 `.cpuprofile` (the format `--cpu-prof` writes) that the split reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/**
 * Parts of the app that a sample's time is charged to: the innermost frame
 * on its stack that belongs to a part decides. Frames of Node's internals and native code
 * without a URL (JSON.parse, the HMAC) count for the nearest caller that
 * does, so a socket write by pg counts as driver time and JSON.parse inside
 * the envelope check counts as validation.
 */
const CATEGORIES: { name: string; pattern: RegExp }[] = [
  { name: 'verification (signature guard, HMAC)', pattern: /\/src\/lib\/signature\// },
  { name: 'validation (UTF-8, JSON.parse, envelope)', pattern: /\/src\/lib\/http\/parse-vmeg-envelope/ },
  { name: 'driver (pg, TypeORM)', pattern: /\/node_modules\/(pg|pg-pool|pg-protocol|pg-types|pg-connection-string|postgres-[a-z]+|typeorm)\// },
  { name: 'module (controller, dispatcher, store)', pattern: /\/src\/lib\// },
  { name: "Nest's pipeline (router, guards, rxjs)", pattern: /\/node_modules\/(@nestjs\/core|@nestjs\/common|rxjs)\// },
  {
    name: 'HTTP (parsing, body reading, adapter)',
    pattern:
      /node:_http_|\/node_modules\/(@nestjs\/platform-express|@nestjs\/platform-fastify|express|body-parser|raw-body|router|finalhandler|on-finished|type-is|content-type|iconv-lite|fastify|@fastify\/[a-z-]+|find-my-way|avvio|light-my-request|secure-json-parse|fast-json-stringify)\//,
  },
];

const SPECIAL_FRAMES: Record<string, string> = {
  '(garbage collector)': 'garbage collection',
  '(program)': 'V8 and native code outside JavaScript',
  '(idle)': 'idle',
};

const OTHER = 'other (Node internals, timers, logging)';

/** Milliseconds of CPU time over the samples taken between two monotonic times in µs. */
export interface CpuSplit {
  totalMs: number;
  byCategory: Map<string, number>;
  /** Self time by function, keyed `name (file:line)` with the path from `node_modules/` or `src/` on. */
  byFunction: Map<string, number>;
}

/**
 * Splits the samples of a profile written by `--cpu-prof` between `fromMicros`
 * and `toMicros`, times from `process.hrtime` in the profiled process (the
 * clock V8 stamps samples with). Idle samples are left out of the total.
 */
export async function splitCpuProfile(file: string, fromMicros: number, toMicros: number): Promise<CpuSplit> {
  const profile = JSON.parse(await fs.readFile(file, 'utf8')) as CpuProfile;
  const parent = new Map<number, number>();
  const nodes = new Map<number, CpuProfile['nodes'][number]>();
  for (const node of profile.nodes) {
    nodes.set(node.id, node);
    for (const child of node.children ?? []) {
      parent.set(child, node.id);
    }
  }

  const categoryOf = new Map<number, string>();
  const classify = (leaf: number): string => {
    const cached = categoryOf.get(leaf);
    if (cached !== undefined) {
      return cached;
    }
    let category = OTHER;
    const leafFrame = nodes.get(leaf)?.callFrame;
    if (leafFrame && SPECIAL_FRAMES[leafFrame.functionName] !== undefined) {
      category = SPECIAL_FRAMES[leafFrame.functionName];
    } else {
      for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
        const url = nodes.get(id)?.callFrame.url ?? '';
        const match = url === '' ? undefined : CATEGORIES.find((candidate) => candidate.pattern.test(url));
        if (match) {
          category = match.name;
          break;
        }
      }
    }
    categoryOf.set(leaf, category);
    return category;
  };

  const byCategory = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let totalMs = 0;
  let time = profile.startTime;
  for (let index = 0; index < profile.samples.length; index += 1) {
    time += profile.timeDeltas[index];
    // A sample stands for the interval up to the next one.
    const intervalMs = (profile.timeDeltas[index + 1] ?? 0) / 1000;
    if (time < fromMicros || time > toMicros) {
      continue;
    }
    const category = classify(profile.samples[index]);
    if (category === 'idle') {
      continue;
    }
    byCategory.set(category, (byCategory.get(category) ?? 0) + intervalMs);
    const frame = functionName(nodes.get(profile.samples[index])?.callFrame);
    byFunction.set(frame, (byFunction.get(frame) ?? 0) + intervalMs);
    totalMs += intervalMs;
  }
  return { totalMs, byCategory, byFunction };
}

function functionName(frame: CpuProfile['nodes'][number]['callFrame'] | undefined): string {
  if (frame === undefined) {
    return '(unknown)';
  }
  const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  if (frame.url === '') {
    return name;
  }
  const file = frame.url.replace(/^.*?\/(node_modules|src)\//, '$1/');
  // V8 numbers lines from 0.
  return `${name} (${file}:${frame.lineNumber + 1})`;
}
