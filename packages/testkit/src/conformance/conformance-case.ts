/**
 * One check of a conformance suite: a plain async function that throws (an `AssertionError`
 * from `node:assert`) when the receiver or sink under test breaks the contract. Test-framework
 * adapters register one test per case.
 */
export interface ConformanceCase {
  /** A stable identifier, such as `restart-stops-then-starts`. */
  readonly id: string;
  /** What the case checks, as a test title. */
  readonly title: string;
  /** Milliseconds the case may take, for the test framework's timeout. */
  readonly timeout: number;
  /** Runs the case; rejects when the contract is broken. */
  run(): Promise<void>;
}

/** A case that applies but that the harness excluded, with its reason. */
export interface ExcludedCase {
  readonly id: string;
  readonly title: string;
  readonly reason: string;
}

/** The cases of a suite for one harness: those to run and those the harness excluded. */
export interface ConformancePlan {
  /** Names the receiver or sink under test. */
  readonly name: string;
  /** The cases that apply, in order. */
  readonly cases: readonly ConformanceCase[];
  /** The cases that apply but were excluded by the harness. */
  readonly excluded: readonly ExcludedCase[];
}

/** What {@link runConformancePlan} found. */
export interface ConformanceReport {
  readonly name: string;
  readonly passed: readonly string[];
  readonly failed: readonly { readonly id: string; readonly error: unknown }[];
  readonly excluded: readonly ExcludedCase[];
}

/**
 * Runs every case of a plan one after the other, without a test framework, and reports which
 * passed and which failed (with the error).
 */
export async function runConformancePlan(plan: ConformancePlan): Promise<ConformanceReport> {
  const passed: string[] = [];
  const failed: { id: string; error: unknown }[] = [];
  for (const conformanceCase of plan.cases) {
    try {
      await conformanceCase.run();
      passed.push(conformanceCase.id);
    } catch (error) {
      failed.push({ id: conformanceCase.id, error });
    }
  }
  return { name: plan.name, passed, failed, excluded: plan.excluded };
}
