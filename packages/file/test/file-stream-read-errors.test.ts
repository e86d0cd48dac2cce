import { symlinkSync, unlinkSync } from 'node:fs';
import { lutimes, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '@dstream/core';
import { FileError, fileStream, textFileStream, type FileBatchMetadata } from '../src/index.js';
import {
  batchTime,
  collect,
  collectMetadata,
  moveIn,
  runBatches,
  fileStreamTestBed,
} from './helpers.js';

const bed = fileStreamTestBed();
const setup = bed.setup;

/**
 * A file that cannot be read, whoever runs the test (root reads any file): a symbolic link to
 * itself, which fails with ELOOP, with modification time `time`.
 */
async function unreadableFile(directory: string, name: string, time: number): Promise<string> {
  const path = join(directory, name);
  await symlink(name, path);
  await lutimes(path, new Date(time), new Date(time));
  return path;
}

const goodLines = (count: number): string =>
  Array.from({ length: count }, (_, i) => `good ${i}`).join('\n') + '\n';

const readErrorsOf = (metadata: Array<[number, Record<string, unknown>]>) =>
  metadata.map(([, m]) => (m as FileBatchMetadata).readErrors.map((e) => [e.attempt, e.outcome]));

describe('fileStream: a file that cannot be read', () => {
  it('does not hold back the files that arrived with it, and is tried again up to maxReadAttempts (default)', async () => {
    const { ssc, clock, log } = setup();
    const lines = textFileStream(ssc, bed.folders.watched);
    const out = collect(lines);
    const metadata = collectMetadata(ssc, lines);
    ssc.start();
    const bad = await unreadableFile(bed.folders.watched, 'bad.txt', batchTime(1) - 200);
    await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'good.txt',
      goodLines(1000),
      batchTime(1) - 100,
    );
    await runBatches(ssc, clock, 5);

    expect(out.map(([time, records]) => [time, records.length])).toEqual([
      [batchTime(1), 1000],
      [batchTime(2), 0],
      [batchTime(3), 0],
      [batchTime(4), 0],
      [batchTime(5), 0],
    ]);
    // Attempts 1 and 2 are retried, the third (the default maxReadAttempts) gives up.
    expect(readErrorsOf(metadata)).toEqual([
      [[1, 'retry']],
      [[2, 'retry']],
      [[3, 'skipped']],
      [],
      [],
    ]);
    const first = (metadata[0][1] as FileBatchMetadata).readErrors[0];
    expect(first.file).toBe(bad);
    expect(first.error).toContain(bad);
    expect(log.at('warn').filter((e) => e.fields.file === bad)).toHaveLength(2);
    const givenUp = log.at('error').filter((e) => e.fields.file === bad);
    expect(givenUp).toHaveLength(1);
    expect(givenUp[0].message).toContain('giving up on the file after 3 attempts');
  });

  it('reads the file once it can be read, within its attempts', async () => {
    const { ssc, clock } = setup();
    const lines = textFileStream(ssc, bed.folders.watched);
    const out = collect(lines);
    const metadata = collectMetadata(ssc, lines);
    ssc.start();
    await unreadableFile(bed.folders.watched, 'late.txt', batchTime(1) - 100);
    await runBatches(ssc, clock, 1);
    // Fixed: the real file replaces the broken link.
    await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'late.txt',
      'finally\n',
      batchTime(1) - 100,
    );
    await runBatches(ssc, clock, 2);
    expect(out).toEqual([
      [batchTime(1), []],
      [batchTime(2), ['finally']],
      [batchTime(3), []],
    ]);
    expect(readErrorsOf(metadata)).toEqual([[[1, 'retry']], [], []]);
  });

  it('treats a file that fails when it is opened, after it was listed, the same way', async () => {
    const { ssc, clock, log } = setup();
    const broken = join(bed.folders.watched, 'b-broken.txt');
    let replaced = false;
    // Decoding a.txt (read first: it is older) replaces b-broken.txt, listed as a readable
    // file already, with a link to itself: opening it fails.
    const decoder = (line: Buffer): string => {
      if (!replaced) {
        replaced = true;
        unlinkSync(broken);
        symlinkSync('b-broken.txt', broken);
      }
      return line.toString('utf8');
    };
    const stream = fileStream(ssc, bed.folders.watched, { format: decoder });
    const out = collect(stream);
    const metadata = collectMetadata(ssc, stream);
    ssc.start();
    await moveIn(bed.folders.staging, bed.folders.watched, 'a.txt', 'a\n', batchTime(1) - 200);
    await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'b-broken.txt',
      'b\n',
      batchTime(1) - 100,
    );
    await runBatches(ssc, clock, 1);
    expect(replaced).toBe(true);
    expect(out).toEqual([[batchTime(1), ['a']]]);
    expect(readErrorsOf(metadata)).toEqual([[[1, 'retry']]]);
    expect((metadata[0][1] as FileBatchMetadata).readErrors[0].error).toContain(broken);
    expect(log.at('warn').map((e) => e.fields.file)).toEqual([broken]);
  });

  it("with 'skip', leaves the file out at once, reported, and takes the others", async () => {
    const { ssc, clock, log } = setup();
    const lines = textFileStream(ssc, bed.folders.watched, { onReadError: 'skip' });
    const out = collect(lines);
    const metadata = collectMetadata(ssc, lines);
    ssc.start();
    const bad = await unreadableFile(bed.folders.watched, 'bad.txt', batchTime(1) - 200);
    await moveIn(bed.folders.staging, bed.folders.watched, 'good.txt', 'g\n', batchTime(1) - 100);
    await runBatches(ssc, clock, 3);
    expect(out.map(([, records]) => records)).toEqual([['g'], [], []]);
    expect(readErrorsOf(metadata)).toEqual([[[1, 'skipped']], [], []]);
    expect(log.at('error').map((e) => e.fields.file)).toEqual([bad]);
  });

  it("with 'fail', fails the batch with FILE_READ_FAILED naming the file", async () => {
    const { ssc, clock } = setup();
    collect(textFileStream(ssc, bed.folders.watched, { onReadError: 'fail' }));
    ssc.start();
    const bad = await unreadableFile(bed.folders.watched, 'bad.txt', batchTime(1) - 200);
    await runBatches(ssc, clock, 1);
    const error = await ssc.awaitTermination(10).catch((e: unknown) => e);
    const cause = (error as Error).cause as FileError;
    expect(cause).toBeInstanceOf(FileError);
    expect(cause.code).toBe('FILE_READ_FAILED');
    expect(cause.path).toBe(bad);
    expect(cause.message).toContain(bad);
  });
});

describe('fileStream: files that leave the remember window untaken', () => {
  it('warns with a count and lists them in the batch metadata', async () => {
    const { ssc, clock, log } = setup();
    // The bad line fails every batch that holds the file, so neither file is ever taken.
    const stream = fileStream(ssc, bed.folders.watched, {
      format: 'jsonl',
      minRememberDuration: 2000,
    });
    const metadata = collectMetadata(ssc, stream);
    ssc.start();
    const bad = await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'a-bad.jsonl',
      '{"id":\n',
      batchTime(1) - 200,
    );
    const good = await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'b-good.jsonl',
      '{"id":1}\n',
      batchTime(1) - 100,
    );
    await runBatches(ssc, clock, 4);
    const error = await ssc.awaitTermination(10).catch((e: unknown) => e);
    expect((error as Error).cause).toBeInstanceOf(DecodeError);

    // Batches 1 and 2 failed; at batch 3 both files' modification times left the window.
    expect(metadata.map(([time, m]) => [time, m.expiredUntaken])).toEqual([
      [batchTime(3), [bad, good]],
      [batchTime(4), []],
    ]);
    const warnings = log.at('warn').filter((e) => e.fields.count !== undefined);
    expect(warnings).toHaveLength(1);
    expect(warnings[0].fields).toMatchObject({ count: 2, files: [bad, good] });
    expect(warnings[0].message).toContain('2 file(s)');
    expect(warnings[0].message).toContain('left the remember window without having been taken');
  });

  it('warns about a file that kept failing to be read until it left the window', async () => {
    const { ssc, clock, log } = setup();
    const lines = textFileStream(ssc, bed.folders.watched, {
      minRememberDuration: 2000,
      maxReadAttempts: 10,
    });
    const metadata = collectMetadata(ssc, lines);
    ssc.start();
    const bad = await unreadableFile(bed.folders.watched, 'bad.txt', batchTime(1) - 100);
    await runBatches(ssc, clock, 3);
    expect(metadata.map(([, m]) => m.expiredUntaken)).toEqual([[], [], [bad]]);
    expect(log.at('warn').some((e) => e.fields.count === 1)).toBe(true);
    // Re-listing the directory does not warn again.
    await runBatches(ssc, clock, 2);
    expect(metadata.slice(3).map(([, m]) => m.expiredUntaken)).toEqual([[], []]);
  });
});

describe('fileStream: read error options', () => {
  it('are validated, naming the option', () => {
    const { ssc } = setup();
    const dir = bed.folders.watched;
    const bad: Array<[() => unknown, string]> = [
      [() => textFileStream(ssc, dir, { onReadError: 'ignore' as 'skip' }), 'onReadError'],
      [() => textFileStream(ssc, dir, { maxReadAttempts: 0 }), 'maxReadAttempts'],
      [() => textFileStream(ssc, dir, { maxReadAttempts: 1.5 }), 'maxReadAttempts'],
      [
        () => textFileStream(ssc, dir, { onReadError: 'skip', maxReadAttempts: 2 }),
        'maxReadAttempts',
      ],
    ];
    for (const [create, option] of bad) {
      expect(create, option).toThrow(expect.objectContaining({ option }));
    }
  });
});
