import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDirectory, systemErrorCode } from '../util/file-system.js';
import type { CheckpointStore } from './checkpoint-store.js';

/**
 * Checkpoints in a local directory. Every write goes to a temporary file, is fsynced, renamed
 * over the final name, and the directory is fsynced: a crash leaves the old file or the new one.
 */
export class LocalCheckpointStore implements CheckpointStore {
  constructor(readonly directory: string) {}

  async write(name: string, data: Uint8Array): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    const target = join(this.directory, name);
    const temporary = join(this.directory, `.${name}.tmp-${process.pid}-${Date.now()}`);
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
    await syncDirectory(this.directory);
  }

  async read(name: string): Promise<Buffer | undefined> {
    try {
      return await readFile(join(this.directory, name));
    } catch (error) {
      if (systemErrorCode(error) === 'ENOENT') return undefined;
      throw error;
    }
  }

  async list(): Promise<string[]> {
    try {
      return (await readdir(this.directory)).filter((name) => !name.startsWith('.'));
    } catch (error) {
      if (systemErrorCode(error) === 'ENOENT') return [];
      throw error;
    }
  }

  async delete(name: string): Promise<void> {
    await rm(join(this.directory, name), { force: true });
  }
}
