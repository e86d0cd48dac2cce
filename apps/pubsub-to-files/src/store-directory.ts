import { readFile } from 'node:fs/promises';
import { DStreamError } from '@dstream/core';
import { parseCsv } from './csv-table.js';

/** One store of the reference table. */
export interface Store {
  readonly name: string;
  readonly city: string | null;
  readonly country: string | null;
  readonly region: string;
}

const COLUMNS = ['store_id', 'name', 'city', 'country', 'region'] as const;

/**
 * Loads the stores reference table: a CSV file with a header row naming at least the columns
 * `store_id`, `name`, `city`, `country` and `region` (others are ignored); empty city or country
 * become `null`. Fails with `REFERENCE_TABLE_INVALID`, naming the file and the line, on a missing
 * column, a row with another number of fields than the header, or a store id given twice.
 */
export async function loadStoreDirectory(path: string): Promise<Map<string, Store>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new DStreamError(
      'REFERENCE_TABLE_UNREADABLE',
      `Cannot read the stores table ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const fail = (message: string): never => {
    throw new DStreamError('REFERENCE_TABLE_INVALID', `Stores table ${path}: ${message}`);
  };
  let records: ReturnType<typeof parseCsv>;
  try {
    records = parseCsv(text);
  } catch (error) {
    return fail((error as Error).message);
  }
  if (records.length === 0) return fail('the file is empty; expected a header row');
  const header = records[0].fields.map((name) => name.trim());
  const index: Record<string, number> = {};
  for (const column of COLUMNS) {
    const position = header.indexOf(column);
    if (position < 0) fail(`the header has no column ${column} (columns: ${header.join(', ')})`);
    index[column] = position;
  }
  const stores = new Map<string, Store>();
  for (const { line, fields } of records.slice(1)) {
    if (fields.length !== header.length) {
      fail(`line ${line} has ${fields.length} fields, the header ${header.length}`);
    }
    const id = fields[index.store_id].trim();
    if (id === '') fail(`line ${line} has an empty store_id`);
    if (stores.has(id)) fail(`line ${line}: store ${id} is listed twice`);
    const optional = (column: string): string | null => {
      const value = fields[index[column]].trim();
      return value === '' ? null : value;
    };
    stores.set(id, {
      name: fields[index.name].trim(),
      city: optional('city'),
      country: optional('country'),
      region: fields[index.region].trim(),
    });
  }
  return stores;
}
