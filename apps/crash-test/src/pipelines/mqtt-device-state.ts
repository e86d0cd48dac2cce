import { join } from 'node:path';
import { StateSpec } from '@dstream/core';
import { jsonLinesFileSink } from '@dstream/file';
import type { CrashPipeline, PipelineOutcome, PipelineWorkspace } from '../crash-pipeline.js';
import { DEVICES, READINGS_PER_DEVICE, deviceName, readingId } from '../device-readings.js';
import { readBatchDirectories } from '../batch-directories.js';
import { compareRecords } from '../multiset.js';
import { completeSequence, trackSequence, type SequenceState } from '../sequence-tracking.js';
import {
  allIdsWritten,
  inputIds,
  mqttReadingsInput,
  outputDir,
  readOutput,
  runMqttPipeline,
} from './mqtt-readings.js';

/** The reference: every device has seen every one of its sequence numbers, once. */
function referenceStates(): Map<string, SequenceState> {
  const states = new Map<string, SequenceState>();
  for (let device = 0; device < DEVICES; device++)
    states.set(deviceName(device), completeSequence(READINGS_PER_DEVICE));
  return states;
}

/** The per-device states of the last complete `state-<time>` batch directory. */
async function latestStates(workspace: PipelineWorkspace): Promise<Map<string, SequenceState>> {
  const batches = await readBatchDirectories(outputDir(workspace), 'state');
  const states = new Map<string, SequenceState>();
  for (const line of batches.at(-1)?.lines ?? []) {
    const [device, state] = JSON.parse(line) as [string, SequenceState];
    states.set(device, state);
  }
  return states;
}

/** A state in a few words: how many sequence numbers were seen, and which above the gap. */
function describeState(state: SequenceState | undefined): string {
  if (state === undefined) return 'no state';
  const above = state.above;
  const shown = above.length > 5 ? `${above.slice(0, 5).join(',')},…` : above.join(',');
  return `0…${state.contiguous - 1} and ${above.length} above [${shown}]`;
}

/** The devices whose state differs from the reference, described. */
function stateMismatches(states: ReadonlyMap<string, SequenceState>): string[] {
  const mismatches: string[] = [];
  for (const [device, expected] of referenceStates()) {
    const actual = states.get(device);
    if (JSON.stringify(actual) !== JSON.stringify(expected))
      mismatches.push(
        `${device}: expected ${describeState(expected)}, got ${describeState(actual)}`,
      );
  }
  for (const device of states.keys())
    if (!referenceStates().has(device)) mismatches.push(`${device}: not a device of the input`);
  return mismatches;
}

/**
 * (d) Like (c), plus a `mapWithState` keyed by device whose state records which sequence numbers
 * the device has seen (a redelivered reading changes nothing), with `stateSnapshots()` written
 * every batch: the last snapshot must equal the reference computed from the input exactly.
 * Every reading goes to a records sink (at least once, like (c)), and the readings the state saw
 * for the first time to a `first-seen` sink, where each must be exactly once.
 */
export const mqttDeviceState: CrashPipeline = {
  name: 'mqtt-state',
  description:
    'MQTT QoS 1 reliable receiver + write-ahead log → mapWithState per device → idempotent JSON-lines sinks',
  guarantee: 'at-least-once',
  brokers: ['mosquitto'],
  ...mqttReadingsInput,

  async isComplete(workspace) {
    return (
      (await allIdsWritten(workspace)) &&
      stateMismatches(await latestStates(workspace)).length === 0
    );
  },

  async collect(workspace): Promise<PipelineOutcome> {
    const input = inputIds();
    const mismatches = stateMismatches(await latestStates(workspace));
    const firstSeen = compareRecords(input, await readOutput<string>(workspace, 'first-seen'));
    const firstSeenOk =
      firstSeen.lost === 0 && firstSeen.duplicated === 0 && firstSeen.unexpected === 0;
    return {
      input,
      output: await readOutput<string>(workspace, 'records'),
      checks: [
        { name: 'state', ok: mismatches.length === 0, detail: mismatches.join('; ') },
        {
          name: 'first-seen',
          ok: firstSeenOk,
          detail: `lost=${firstSeen.lost} duplicated=${firstSeen.duplicated} unexpected=${firstSeen.unexpected} examples=${JSON.stringify(firstSeen.examples)}`,
        },
      ],
    };
  },

  async run(workspace) {
    await runMqttPipeline(workspace, (readings) => {
      readings
        .map((message) => readingId(message.payload))
        .to(jsonLinesFileSink<string>(join(outputDir(workspace), 'records')));
      const sequences = readings
        .map((message): [string, number] => [message.payload.device, message.payload.seq])
        .mapWithState(StateSpec.function(trackSequence).numPartitions(2));
      sequences.to(jsonLinesFileSink<string>(join(outputDir(workspace), 'first-seen')));
      sequences
        .stateSnapshots()
        .to(jsonLinesFileSink<[string, SequenceState]>(join(outputDir(workspace), 'state')));
    });
  },
};
