import { describe, expect, it } from 'vitest';
import { PartitionTracks } from '../src/partition-commit-tracker.js';

describe('what a receiver may commit', () => {
  it('commits only up to the first block not yet acknowledged, whatever the order of acknowledgements', () => {
    const tracks = new PartitionTracks();
    const track = tracks.get('t', 0);
    const [a, b, c] = [track.add(10n), track.add(20n), track.add(30n)];
    expect(track.acknowledge(b)).toBe(false);
    expect(tracks.due()).toEqual([]);
    expect(track.acknowledge(a)).toBe(true);
    expect(tracks.due()).toEqual([{ topic: 't', partition: 0, offset: '20' }]);
    tracks.markCommitted(tracks.due());
    expect(tracks.due()).toEqual([]);
    expect(track.acknowledge(c)).toBe(true);
    expect(tracks.due()).toEqual([{ topic: 't', partition: 0, offset: '30' }]);
    expect(tracks.hasUncommitted()).toBe(true);
  });

  it('never commits a revoked partition, even when its blocks are acknowledged later', () => {
    const tracks = new PartitionTracks();
    const range = tracks.get('t', 1).add(5n);
    tracks.revokeAll();
    expect(range.track.acknowledge(range)).toBe(false);
    expect(tracks.due()).toEqual([]);
    expect(tracks.get('t', 1)).not.toBe(range.track);
  });
});
