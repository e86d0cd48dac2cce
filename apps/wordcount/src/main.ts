import { StreamingContext, seconds } from '@dstream/core';
import { GeneratedLinesReceiver } from './generated-lines.js';
import { wordCounts } from './word-count.js';

const durationArg = process.argv.find((arg) => arg.startsWith('--duration='));
const duration = durationArg ? Number(durationArg.slice('--duration='.length)) * 1000 : undefined;

const ssc = new StreamingContext({ batchInterval: seconds(1), stopGracefullyOnShutdown: true });
const lines = ssc.receiverStream(new GeneratedLinesReceiver(200));
wordCounts(lines).print();
ssc.start();
console.log('Counting words of generated lines every second; Ctrl-C stops gracefully.');
const stopped = await ssc.awaitTermination(duration);
if (!stopped) await ssc.stop({ graceful: true });
