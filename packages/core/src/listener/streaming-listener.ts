import type { BatchInfo, OutputOperationInfo, ReceiverInfo } from './batch-info.js';

/**
 * Receives the context's events. Implement the methods you need; a listener that throws is
 * logged and never disturbs the engine.
 */
export interface StreamingListener {
  onStreamingStarted?(event: { readonly time: number }): void;
  onReceiverStarted?(event: { readonly receiverInfo: ReceiverInfo }): void;
  onReceiverError?(event: { readonly receiverInfo: ReceiverInfo }): void;
  onReceiverStopped?(event: { readonly receiverInfo: ReceiverInfo }): void;
  onBatchSubmitted?(event: { readonly batchInfo: BatchInfo }): void;
  onBatchStarted?(event: { readonly batchInfo: BatchInfo }): void;
  onBatchCompleted?(event: { readonly batchInfo: BatchInfo }): void;
  onOutputOperationStarted?(event: { readonly outputOperationInfo: OutputOperationInfo }): void;
  onOutputOperationCompleted?(event: { readonly outputOperationInfo: OutputOperationInfo }): void;
}

/** The event names, for dispatch. */
export type StreamingListenerEvent = keyof StreamingListener;
