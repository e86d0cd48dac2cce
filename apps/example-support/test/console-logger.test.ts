import { expect, it } from 'vitest';
import { consoleLogger } from '../src/index.js';

it('writes warnings and errors with their causes as single lines and drops the rest', () => {
  const lines: string[] = [];
  const logger = consoleLogger((line) => lines.push(line));
  logger.debug({}, 'debug');
  logger.info({}, 'info');
  logger.warn({ err: new Error('lost', { cause: new Error('ECONNRESET') }) }, 'receiver');
  logger.error({}, 'failed');
  expect(lines).toEqual(['[warn] receiver: lost: ECONNRESET', '[error] failed']);
});
