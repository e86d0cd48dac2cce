import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { requireBroker } from '@dstream/infra/test-support/brokers';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../src/kill-loop.js';
import { compareRecords } from '../src/multiset.js';
import { completeSequence, withSequence, type SequenceState } from '../src/sequence-tracking.js';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

function crashTest(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [main, ...args], {
    encoding: 'utf8',
    timeout: 200_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

// Outside CI a pipeline whose broker is down is skipped with a loud message; under CI=true
// requireBroker throws, and the run fails.
const kafka = await requireBroker('kafka', 'crash test of the kafka pipeline');
const mosquitto = await requireBroker('mosquitto', 'crash test of the mqtt pipelines');

describe('the crash test', () => {
  it('files → stateful count → idempotent file sink is exactly once across SIGKILLs', () => {
    const { status, output } = crashTest('--kills', '3', '--pipeline', 'files');
    expect(output).toMatch(
      /pipeline=files kills=3 records=2000 lost=0 duplicated=0 unexpected=0 state=ok/,
    );
    expect(status).toBe(0);
  });

  it.runIf(kafka)(
    'Kafka direct stream → transactional Kafka sink is exactly once across SIGKILLs',
    () => {
      const { status, output } = crashTest('--kills', '3', '--pipeline', 'kafka');
      expect(output).toMatch(
        /pipeline=kafka kills=3 records=3000 lost=0 duplicated=0 unexpected=0 offsets=ok/,
      );
      expect(status).toBe(0);
    },
  );

  it.runIf(mosquitto)(
    'MQTT QoS 1 with the write-ahead log → idempotent file sink loses nothing across SIGKILLs',
    () => {
      const { status, output } = crashTest('--kills', '3', '--pipeline', 'mqtt');
      expect(output).toMatch(
        /pipeline=mqtt kills=3 records=3000 lost=0 duplicated=\d+ unexpected=0 seed/,
      );
      expect(status).toBe(0);
    },
  );

  it.runIf(mosquitto)(
    'MQTT QoS 1 with the write-ahead log → mapWithState ends with the reference state across SIGKILLs',
    () => {
      const { status, output } = crashTest('--kills', '3', '--pipeline', 'mqtt-state');
      expect(output).toMatch(
        /pipeline=mqtt-state kills=3 records=3000 lost=0 duplicated=\d+ unexpected=0 state=ok first-seen=ok/,
      );
      expect(status).toBe(0);
    },
  );

  it('names the pipelines it knows when given an unknown one', () => {
    const { status, output } = crashTest('--pipeline', 'nope');
    expect(output).toMatch(
      /Unknown pipeline "nope"; known pipelines: files, kafka, mqtt, mqtt-state/,
    );
    expect(status).not.toBe(0);
  });
});

describe('record comparison', () => {
  it('counts lost, duplicated and unexpected records as multisets', () => {
    const result = compareRecords(['a', 'b', 'b', 'c'], ['a', 'a', 'b', 'x']);
    expect(result).toMatchObject({ lost: 2, duplicated: 1, unexpected: 1 });
    expect(result.examples).toEqual({ lost: ['b', 'c'], duplicated: ['a'], unexpected: ['x'] });
  });
});

describe('seeded kill moments', () => {
  it('repeat for the same seed and stay in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const values = Array.from({ length: 100 }, () => a());
    expect(values).toEqual(Array.from({ length: 100 }, () => b()));
    expect(values.every((value) => value >= 0 && value < 1)).toBe(true);
  });
});

describe('sequence tracking of the mqtt-state pipeline', () => {
  function seeAll(seqs: readonly number[]): SequenceState {
    let state = completeSequence(0);
    for (const seq of seqs) state = withSequence(state, seq) ?? state;
    return state;
  }

  it('reaches the reference whatever the order and however often numbers repeat', () => {
    expect(seeAll([0, 1, 2, 3, 4])).toEqual(completeSequence(5));
    expect(seeAll([3, 1, 4, 0, 2])).toEqual(completeSequence(5));
    expect(seeAll([0, 2, 2, 1, 0, 4, 3, 4, 1])).toEqual(completeSequence(5));
  });

  it('says when a number was seen before, and keeps a gap visible', () => {
    expect(withSequence(completeSequence(3), 1)).toBeUndefined();
    expect(withSequence({ contiguous: 1, above: [3] }, 3)).toBeUndefined();
    expect(seeAll([0, 1, 3, 5])).toEqual({ contiguous: 2, above: [3, 5] });
  });
});
