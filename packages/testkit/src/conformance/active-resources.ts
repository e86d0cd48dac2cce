/**
 * Counts the process's active handles by kind (sockets, servers, timers, watchers), leaving out
 * short-lived requests (a pending `fs` call, a DNS lookup) that settle by themselves.
 */
export function countActiveResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) {
    if (isTransient(kind)) continue;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return counts;
}

/** The kinds with more active handles in `after` than in `before`, with both counts. */
export function resourcesAdded(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
): string[] {
  const added: string[] = [];
  for (const [kind, count] of after) {
    const earlier = before.get(kind) ?? 0;
    if (count > earlier) added.push(`${kind} ${earlier} → ${count}`);
  }
  return added;
}

function isTransient(kind: string): boolean {
  return (
    kind.endsWith('ReqWrap') ||
    kind.endsWith('ReqCallback') ||
    kind === 'FSReqPromise' ||
    kind === 'TickObject' ||
    kind === 'Immediate' ||
    kind === 'TTYWrap'
  );
}
