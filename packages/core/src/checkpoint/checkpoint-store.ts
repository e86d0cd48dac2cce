/**
 * Where checkpoints are kept. The local file system implementation is
 * {@link LocalCheckpointStore}; another store (S3, a database) implements the same four calls.
 * A write must be atomic: a reader sees the whole file or none of it.
 */
export interface CheckpointStore {
  /** Writes `data` under `name`, atomically and durably, replacing any file of that name. */
  write(name: string, data: Uint8Array): Promise<void>;
  /** The bytes stored under `name`, or `undefined`. */
  read(name: string): Promise<Buffer | undefined>;
  /** Every name stored. */
  list(): Promise<string[]>;
  /** Removes `name` if present. */
  delete(name: string): Promise<void>;
}
