/** Where one pipeline's run keeps its files: input, output, checkpoints. */
export interface PipelineWorkspace {
  /** A fresh directory for this run. */
  readonly directory: string;
  /** The checkpoint directory the child recovers from. */
  readonly checkpointDir: string;
}

/** How fast a pipeline produces its input. */
export interface FeedPace {
  /** Milliseconds over which to spread the input. */
  readonly duration: number;
}

/** What the verification found. */
export interface PipelineOutcome {
  /** Every input record, as a string. */
  readonly input: string[];
  /** Every output record, as a string. */
  readonly output: string[];
  /** Extra checks (state against a reference), each with whether it held. */
  readonly checks: { readonly name: string; readonly ok: boolean; readonly detail?: string }[];
}

/**
 * A pipeline the crash test runs: the child side (`run`, a streaming program recovered with
 * getOrCreate), and the parent side that feeds its input, says when all of it is reflected in
 * the output, and collects what came out.
 */
export interface CrashPipeline {
  readonly name: string;
  readonly description: string;
  /** `exactly-once`: nothing lost, nothing duplicated. `at-least-once`: nothing lost. */
  readonly guarantee: 'exactly-once' | 'at-least-once';
  /** Brokers the pipeline needs (names of infra/brokers.sh). */
  readonly brokers: readonly ('kafka' | 'mosquitto' | 'pubsub')[];
  /** Prepares the workspace before the first child starts (topics, directories). */
  prepare(workspace: PipelineWorkspace): Promise<void>;
  /**
   * Produces the whole input, spread evenly over about `pace.duration` milliseconds (the time the
   * kills take, so that they land while input is flowing); resolves when all of it is produced.
   */
  feed(workspace: PipelineWorkspace, pace: FeedPace): Promise<void>;
  /** Whether the output reflects all the input (checked after the last restart). */
  isComplete(workspace: PipelineWorkspace): Promise<boolean>;
  /** Reads the input and the output for comparison. */
  collect(workspace: PipelineWorkspace): Promise<PipelineOutcome>;
  /**
   * Removes what prepare created outside the workspace (topics, broker sessions) after a run that
   * kept its guarantee; a failed run keeps them, with its workspace, for inspection.
   */
  cleanup?(workspace: PipelineWorkspace): Promise<void>;
  /** The child process: runs the streaming program until SIGTERM (graceful) or SIGKILL. */
  run(workspace: PipelineWorkspace): Promise<void>;
}
