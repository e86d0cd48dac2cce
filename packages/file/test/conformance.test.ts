import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sink } from '@dstream/core';
import type { SinkHarness } from '@dstream/testkit';
import { describeSinkConformance } from '@dstream/testkit/vitest';
import { csvFileSink, jsonLinesFileSink, textFileSink } from '../src/index.js';

interface Versioned {
  readonly id: number;
  readonly version: number;
}

/**
 * Every line a reader of the output sees: the part files of the batch directories that are in
 * place (the hidden temporary directories of unfinished batches are not).
 */
async function visibleLines(dir: string, prefix: string, header = false): Promise<string[]> {
  const lines: string[] = [];
  for (const entry of await readdir(dir)) {
    if (!entry.startsWith(`${prefix}-`)) continue;
    for (const part of (await readdir(join(dir, entry))).filter((name) =>
      name.startsWith('part-'),
    )) {
      const text = await readFile(join(dir, entry, part), 'utf8');
      lines.push(
        ...text
          .split('\n')
          .slice(header ? 1 : 0)
          .filter((line) => line !== ''),
      );
    }
  }
  return lines;
}

/** A file sink in the sink conformance suite, writing into a fresh directory per case. */
function fileSinkHarness<T>(
  name: string,
  create: (prefix: string) => Sink<T>,
  format: {
    record: (id: number, version: number) => T;
    parse: (line: string) => T;
    header?: boolean;
  },
  idOf: (record: T) => number,
  versionOf: (record: T) => number,
): SinkHarness<T> {
  let dir = '';
  return {
    name,
    guarantee: 'idempotent',
    async setup() {
      dir = await mkdtemp(join(tmpdir(), 'dstream-file-conformance-'));
    },
    teardown: () => rm(dir, { recursive: true, force: true }),
    createSink: () => create(join(dir, 'out')),
    record: format.record,
    idOf,
    versionOf,
    readVisible: async () => (await visibleLines(dir, 'out', format.header)).map(format.parse),
    settings: { visibilityTimeout: 2000 },
  };
}

const versioned = {
  record: (id: number, version: number): Versioned => ({ id, version }),
  id: (record: Versioned): number => record.id,
  version: (record: Versioned): number => record.version,
};

describeSinkConformance(
  fileSinkHarness(
    'jsonLinesFileSink',
    (prefix) => jsonLinesFileSink<Versioned>(prefix, { fsync: false }),
    { record: versioned.record, parse: (line) => JSON.parse(line) as Versioned },
    versioned.id,
    versioned.version,
  ),
);

describeSinkConformance(
  fileSinkHarness(
    'textFileSink',
    (prefix) => textFileSink<string>(prefix, { fsync: false }),
    { record: (id, version) => `${id}:${version}`, parse: (line) => line },
    (line) => Number(line.split(':')[0]),
    (line) => Number(line.split(':')[1]),
  ),
);

describeSinkConformance(
  fileSinkHarness(
    'csvFileSink',
    (prefix) => csvFileSink<Versioned>(prefix, { columns: ['id', 'version'], fsync: false }),
    {
      record: versioned.record,
      parse: (line) => {
        const [id, version] = line.split(',').map(Number);
        return { id, version };
      },
      header: true,
    },
    versioned.id,
    versioned.version,
  ),
);
