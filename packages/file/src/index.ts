/**
 * @dstream/file: directory-watching file streams (text, JSON lines, CSV or a custom line
 * decoder) with Spark's FileInputDStream semantics, and file sinks that write every batch as
 * an atomically renamed directory of part files.
 */
export { fileStream, textFileStream, createFileInputSource } from './stream/file-stream.js';
export type {
  FileStreamOptions,
  TextFileStreamOptions,
  FileFormatName,
} from './stream/file-stream.js';
export { FileInputSource } from './stream/file-input-source.js';
export type {
  FileInputSourceSettings,
  FileBatchMetadata,
  FileInputSnapshot,
  FileReadErrorInfo,
} from './stream/file-input-source.js';
export type { ReadErrorPolicy } from './stream/read-error-policy.js';
export { isHiddenOrTemporaryFile } from './stream/file-name-filter.js';
export type { FileNameFilter } from './stream/file-name-filter.js';
export type { FileRecordReader } from './format/file-record-reader.js';
export type { CsvOptions, CsvRecord, CsvStreamOptions } from './format/csv-syntax.js';

export { FileSink } from './sink/file-sink.js';
export type { FileSinkOptions, RecordEncoder } from './sink/file-sink.js';
export { textFileSink } from './sink/text-file-sink.js';
export type { TextFileSinkOptions } from './sink/text-file-sink.js';
export { jsonLinesFileSink } from './sink/json-lines-file-sink.js';
export type { JsonLinesFileSinkOptions } from './sink/json-lines-file-sink.js';
export { csvFileSink } from './sink/csv-file-sink.js';
export type { CsvFileSinkOptions } from './sink/csv-file-sink.js';

export { FileError } from './file-error.js';
