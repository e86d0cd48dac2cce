import { describe, expect, it } from 'vitest';
import { markdownTable } from '../src/report.js';

describe('markdownTable', () => {
  it('prints the rows, the goals with their outcome and the notes', () => {
    const table = markdownTable({
      name: 'x',
      title: 'Title',
      rows: [
        { size: 10, rate: 1.5 },
        { size: 20, rate: 2 },
      ],
      goals: [
        { description: 'fast enough', met: true },
        { description: 'small enough', met: false },
      ],
      notes: ['How it was measured.'],
    });
    expect(table.split('\n')).toEqual([
      '### Title',
      '',
      '| size | rate |',
      '| --- | --- |',
      '| 10 | 1.5 |',
      '| 20 | 2 |',
      '',
      '- Goal: fast enough: met',
      '- Goal: small enough: MISSED',
      '',
      '- How it was measured.',
    ]);
  });

  it('says why a benchmark was skipped', () => {
    expect(markdownTable({ name: 'x', title: 'Title', rows: [], skipped: 'broker down' })).toBe(
      '### Title\n\nSkipped: broker down',
    );
  });
});
