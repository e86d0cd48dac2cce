import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { textFileStream } from '../src/index.js';
import {
  batchTime,
  collect,
  collectMetadata,
  runBatches,
  setModificationTime,
  fileStreamTestBed,
} from './helpers.js';

const bed = fileStreamTestBed();
const setup = bed.setup;

/** A file with `content` at `path`, modified at `time`. */
async function fileAt(path: string, content: string, time: number): Promise<void> {
  await writeFile(path, content);
  await setModificationTime(path, time);
}

describe('fileStream: symbolic links', () => {
  it('does not follow links that lead out of the directory, and says so once', async () => {
    const { ssc, clock, log } = setup();
    const lines = textFileStream(ssc, bed.folders.watched);
    const out = collect(lines);
    const metadata = collectMetadata(ssc, lines);
    ssc.start();
    // Outside: a sibling folder whose name starts like the watched one's, and the parent.
    const sibling = `${bed.folders.watched}-other`;
    await mkdir(sibling);
    await fileAt(join(sibling, 'secret.txt'), 'secret\n', batchTime(1) - 100);
    await fileAt(join(bed.folders.root, 'passwd'), 'root\n', batchTime(1) - 100);
    const out1 = join(bed.folders.watched, 'out-1.txt');
    const out2 = join(bed.folders.watched, 'out-2.txt');
    await symlink(join(sibling, 'secret.txt'), out1);
    await symlink('../passwd', out2);
    await fileAt(join(bed.folders.watched, 'plain.txt'), 'plain\n', batchTime(1) - 50);
    await runBatches(ssc, clock, 2);

    expect(out.map(([, records]) => records)).toEqual([['plain'], []]);
    expect(metadata.map(([, m]) => m.refusedSymlinks)).toEqual([[out1, out2], []]);
    const warnings = log.at('warn').filter((e) => e.message.includes('symbolic link'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].message).toContain('followSymlinks: true');
  });

  it('follows links that stay inside the directory, sub-directories included', async () => {
    const { ssc, clock } = setup();
    const out = collect(textFileStream(ssc, bed.folders.watched));
    ssc.start();
    await mkdir(join(bed.folders.watched, 'sub'));
    await fileAt(join(bed.folders.watched, 'sub', 'inner.txt'), 'inner\n', batchTime(1) - 100);
    await symlink('sub/inner.txt', join(bed.folders.watched, 'link.txt'));
    await runBatches(ssc, clock, 1);
    expect(out).toEqual([[batchTime(1), ['inner']]]);
  });

  it('follows links out of the directory with followSymlinks: true', async () => {
    const { ssc, clock } = setup();
    const out = collect(textFileStream(ssc, bed.folders.watched, { followSymlinks: true }));
    ssc.start();
    await fileAt(join(bed.folders.staging, 'elsewhere.txt'), 'elsewhere\n', batchTime(1) - 100);
    await symlink(
      join(bed.folders.staging, 'elsewhere.txt'),
      join(bed.folders.watched, 'link.txt'),
    );
    await runBatches(ssc, clock, 1);
    expect(out).toEqual([[batchTime(1), ['elsewhere']]]);
  });

  it('validates followSymlinks', () => {
    const { ssc } = setup();
    expect(() =>
      textFileStream(ssc, bed.folders.watched, { followSymlinks: 'yes' as unknown as boolean }),
    ).toThrow(expect.objectContaining({ option: 'followSymlinks' }));
  });
});
