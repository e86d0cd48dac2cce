import type { ConnectionOptions } from 'node:tls';
import {
  ConfigurationError,
  requireNonEmptyString,
  requireOneOf,
  type Logger,
} from '@dstream/core';
import { optionalPositiveInteger } from './option-validation.js';

/** SASL authentication, passed to the client as it is. */
export type KafkaSaslOptions =
  | { readonly mechanism: 'plain'; readonly username: string; readonly password: string }
  | { readonly mechanism: 'scram-sha-256'; readonly username: string; readonly password: string }
  | { readonly mechanism: 'scram-sha-512'; readonly username: string; readonly password: string }
  | {
      readonly mechanism: 'aws';
      readonly authorizationIdentity: string;
      readonly accessKeyId: string;
      readonly secretAccessKey: string;
      readonly sessionToken?: string;
    }
  | {
      readonly mechanism: 'oauthbearer';
      readonly oauthBearerProvider: () => Promise<{ value: string }>;
    };

/** How the client retries a failed request: exponential backoff with jitter. */
export interface KafkaRetryOptions {
  /** Retries before a request fails (client default 5). */
  readonly retries?: number;
  /** Milliseconds before the first retry (client default 300). */
  readonly initialRetryTime?: number;
  /** Upper bound of one wait, in milliseconds (client default 30 000). */
  readonly maxRetryTime?: number;
  /** Randomization factor (client default 0.2). */
  readonly factor?: number;
  /** Growth of the wait per retry (client default 2). */
  readonly multiplier?: number;
}

/** The client's own log level; its logs go to the context's logger. */
export type KafkaClientLogLevel = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

/** Connection settings shared by the receiver stream, the direct stream and the sink. */
export interface KafkaClientOptions {
  /** Bootstrap brokers as `host:port`, such as `['127.0.0.1:9092']`. */
  readonly brokers: readonly string[];
  /** The client id brokers see in their logs and quotas (default `dstream`). */
  readonly clientId?: string;
  /** TLS: `true` for the system's trust store, or Node's `tls.connect` options. */
  readonly ssl?: boolean | ConnectionOptions;
  /** SASL authentication (plain, scram-sha-256/512, aws, oauthbearer). */
  readonly sasl?: KafkaSaslOptions;
  /** Milliseconds to establish a connection (client default 1000). */
  readonly connectionTimeout?: number;
  /** Milliseconds for SASL authentication (client default 10 000). */
  readonly authenticationTimeout?: number;
  /** Milliseconds a request may take (client default 30 000). */
  readonly requestTimeout?: number;
  /** Retries of failed requests inside the client. */
  readonly retry?: KafkaRetryOptions;
  /** The client's log level (default `'warn'`); logs go to the context's logger. */
  readonly clientLogLevel?: KafkaClientLogLevel;
}

/** The names of {@link KafkaClientOptions}, for unknown-option checks. */
export const KAFKA_CLIENT_OPTION_NAMES: readonly string[] = [
  'brokers',
  'clientId',
  'ssl',
  'sasl',
  'connectionTimeout',
  'authenticationTimeout',
  'requestTimeout',
  'retry',
  'clientLogLevel',
];

/** Validated connection settings, with the logger the client's logs go to. */
export interface ResolvedKafkaClientOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly ssl: boolean | ConnectionOptions | undefined;
  readonly sasl: KafkaSaslOptions | undefined;
  readonly connectionTimeout: number | undefined;
  readonly authenticationTimeout: number | undefined;
  readonly requestTimeout: number | undefined;
  readonly retry: KafkaRetryOptions | undefined;
  readonly clientLogLevel: KafkaClientLogLevel;
  readonly logger: Logger;
}

const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512', 'aws', 'oauthbearer'] as const;
const LOG_LEVELS: readonly KafkaClientLogLevel[] = ['nothing', 'error', 'warn', 'info', 'debug'];
const BROKER_PATTERN = /^(?:\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):(\d{1,5})$/;

/** Validates connection settings; `logger` receives the client's logs. */
export function resolveKafkaClientOptions(
  options: KafkaClientOptions,
  logger: Logger,
): ResolvedKafkaClientOptions {
  return {
    brokers: requireBrokers(options.brokers),
    clientId:
      options.clientId === undefined
        ? 'dstream'
        : requireNonEmptyString('clientId', options.clientId),
    ssl: requireSsl(options.ssl),
    sasl: requireSasl(options.sasl),
    connectionTimeout: optionalPositiveInteger('connectionTimeout', options.connectionTimeout),
    authenticationTimeout: optionalPositiveInteger(
      'authenticationTimeout',
      options.authenticationTimeout,
    ),
    requestTimeout: optionalPositiveInteger('requestTimeout', options.requestTimeout),
    retry: requireRetry(options.retry),
    clientLogLevel:
      options.clientLogLevel === undefined
        ? 'warn'
        : requireOneOf('clientLogLevel', options.clientLogLevel, LOG_LEVELS),
    logger,
  };
}

function requireBrokers(value: unknown): string[] {
  const allowed = 'expected a non-empty array of "host:port" strings, such as ["127.0.0.1:9092"]';
  if (!Array.isArray(value) || value.length === 0)
    throw new ConfigurationError('brokers', value, allowed);
  for (const broker of value) {
    const match = typeof broker === 'string' ? BROKER_PATTERN.exec(broker) : null;
    const port = match === null ? 0 : Number(match[1]);
    if (port < 1 || port > 65535) {
      throw new ConfigurationError(
        'brokers',
        value,
        `${allowed}; ${JSON.stringify(broker)} is not one`,
      );
    }
  }
  return [...(value as string[])];
}

function requireSsl(value: unknown): boolean | ConnectionOptions | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigurationError(
      'ssl',
      value,
      'expected true, false or an object of tls.connect options',
    );
  }
  return value;
}

function requireSasl(value: unknown): KafkaSaslOptions | undefined {
  if (value === undefined) return undefined;
  const allowed = `expected an object with a mechanism of ${SASL_MECHANISMS.map((m) => `'${m}'`).join(', ')}`;
  if (value === null || typeof value !== 'object')
    throw new ConfigurationError('sasl', value, allowed);
  const sasl = value as Record<string, unknown>;
  requireOneOf('sasl.mechanism', sasl.mechanism, SASL_MECHANISMS);
  switch (sasl.mechanism) {
    case 'plain':
    case 'scram-sha-256':
    case 'scram-sha-512':
      requireNonEmptyString('sasl.username', sasl.username);
      if (typeof sasl.password !== 'string') {
        throw new ConfigurationError('sasl.password', '<hidden>', 'expected a string');
      }
      break;
    case 'aws':
      requireNonEmptyString('sasl.authorizationIdentity', sasl.authorizationIdentity);
      requireNonEmptyString('sasl.accessKeyId', sasl.accessKeyId);
      if (typeof sasl.secretAccessKey !== 'string') {
        throw new ConfigurationError('sasl.secretAccessKey', '<hidden>', 'expected a string');
      }
      break;
    case 'oauthbearer':
      if (typeof sasl.oauthBearerProvider !== 'function') {
        throw new ConfigurationError(
          'sasl.oauthBearerProvider',
          sasl.oauthBearerProvider,
          'expected a function returning a token',
        );
      }
      break;
  }
  return value as KafkaSaslOptions;
}

function requireRetry(value: unknown): KafkaRetryOptions | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigurationError(
      'retry',
      value,
      'expected an object with retries, initialRetryTime, maxRetryTime, factor, multiplier',
    );
  }
  const retry = value as Record<string, unknown>;
  for (const [name, entry] of Object.entries(retry)) {
    const option = `retry.${name}`;
    switch (name) {
      case 'retries':
        if (typeof entry !== 'number' || !Number.isInteger(entry) || entry < 0) {
          throw new ConfigurationError(option, entry, 'expected a whole number of zero or more');
        }
        break;
      case 'initialRetryTime':
      case 'maxRetryTime':
      case 'multiplier':
        if (typeof entry !== 'number' || !Number.isFinite(entry) || entry <= 0) {
          throw new ConfigurationError(option, entry, 'expected a positive number');
        }
        break;
      case 'factor':
        if (typeof entry !== 'number' || !Number.isFinite(entry) || entry < 0 || entry > 1) {
          throw new ConfigurationError(option, entry, 'expected a number from 0 to 1');
        }
        break;
      default:
        throw new ConfigurationError(
          option,
          entry,
          'unknown option; known options are retries, initialRetryTime, maxRetryTime, factor, multiplier',
        );
    }
  }
  return value;
}
