import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCsv } from '../src/csv-table.js';
import { loadStoreDirectory } from '../src/store-directory.js';

const SAMPLE = fileURLToPath(new URL('../data/stores.csv', import.meta.url));

describe('parseCsv', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, and either line ending', () => {
    expect(parseCsv('\ufeffa,b\r\n"x, y","say ""hi"""\n"multi\nline",\n\n"",z')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, y', 'say "hi"'] },
      { line: 3, fields: ['multi\nline', ''] },
      { line: 6, fields: ['', 'z'] },
    ]);
  });

  it('refuses an unclosed quote or a quote inside a field, naming the line', () => {
    expect(() => parseCsv('a\n"open')).toThrow('line 2: a quoted field is not closed');
    expect(() => parseCsv('a\nb"c"')).toThrow('line 2: a quote inside an unquoted field');
  });
});

describe('the stores reference table', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stores-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads the sample shipped in data/stores.csv', async () => {
    const stores = await loadStoreDirectory(SAMPLE);
    expect(stores.size).toBe(20);
    expect(stores.get('S004')).toEqual({
      name: 'Prenzlauer Berg, Kastanienallee',
      city: 'Berlin',
      country: 'DE',
      region: 'north',
    });
    expect(stores.get('S012')?.name).toBe('Covent Garden "Flagship"');
    expect(stores.get('S020')).toEqual({
      name: 'Online Shop',
      city: null,
      country: null,
      region: 'online',
    });
  });

  it('takes the columns by name, in any order, ignoring others', async () => {
    const path = join(dir, 'stores.csv');
    await writeFile(path, 'region,extra,name,store_id,country,city\neast,1,Shop,A1,PL,Kraków\n');
    expect(await loadStoreDirectory(path)).toEqual(
      new Map([['A1', { name: 'Shop', city: 'Kraków', country: 'PL', region: 'east' }]]),
    );
  });

  it('refuses a broken table, naming the file and the line', async () => {
    const path = join(dir, 'stores.csv');
    const cases: [string, string][] = [
      ['store_id,name,city,country\n', 'the header has no column region'],
      ['store_id,name,city,country,region\nA,B,C,D\n', 'line 2 has 4 fields, the header 5'],
      [
        'store_id,name,city,country,region\nA,B,C,D,E\nA,F,G,H,I\n',
        'line 3: store A is listed twice',
      ],
      ['store_id,name,city,country,region\n,B,C,D,E\n', 'line 2 has an empty store_id'],
      ['', 'the file is empty'],
    ];
    for (const [text, message] of cases) {
      await writeFile(path, text);
      await expect(loadStoreDirectory(path)).rejects.toThrow(`Stores table ${path}: ${message}`);
    }
    await expect(loadStoreDirectory(join(dir, 'missing.csv'))).rejects.toMatchObject({
      code: 'REFERENCE_TABLE_UNREADABLE',
    });
  });
});
