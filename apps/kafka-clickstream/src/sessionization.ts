import { StateSpec, type DStream, type State } from '@dstream/core';
import type { DeviceClass, PageView } from './page-view.js';

/** A visit in progress: the state `mapWithState` keeps per user. */
export interface OpenSession {
  /** `<user>-<start>`: the same on every run that sees the same page views. */
  readonly sessionId: string;
  readonly user: string;
  readonly device: DeviceClass;
  /** Time of the first and of the latest page view, in milliseconds. */
  readonly start: number;
  readonly end: number;
  readonly pageViews: number;
  /** The pages in order (the first {@link MAX_PAGES} of them). */
  readonly pages: readonly string[];
  /** Where the visitor came from to the landing page. */
  readonly referrer: string | null;
  /** Whether the visitor completed a checkout. */
  readonly converted: boolean;
  /** The batch time of the last change: which sessions a batch changed. */
  readonly updatedAt: number;
}

/** Why a session ended. */
export type SessionEnd =
  /** No page view for the session gap (the state timed out). */
  | 'timeout'
  /** The next page view came more than the session gap after the last one. */
  | 'gap';

/** A finished session: what the sessions topic and files hold, one JSON object each. */
export interface Session {
  readonly sessionId: string;
  readonly user: string;
  readonly device: DeviceClass;
  /** ISO 8601 times of the first and last page views. */
  readonly start: string;
  readonly end: string;
  readonly durationMs: number;
  readonly pageViews: number;
  readonly landingPage: string;
  readonly exitPage: string;
  readonly referrer: string | null;
  readonly converted: boolean;
  readonly pages: readonly string[];
  readonly endedBy: SessionEnd;
}

/** Pages kept per session. */
export const MAX_PAGES = 50;

/** The page that completes a checkout. */
const CONVERSION_PAGE = '/checkout/complete';

/** A new session for a page view seen at batch `time`. */
export function openSession(view: PageView, time: number): OpenSession {
  return {
    sessionId: `${view.user}-${view.ts}`,
    user: view.user,
    device: view.device,
    start: view.ts,
    end: view.ts,
    pageViews: 1,
    pages: [view.page],
    referrer: view.referrer,
    converted: view.page === CONVERSION_PAGE,
    updatedAt: time,
  };
}

/** The session with one more page view. Views arriving out of order never move `end` back. */
export function extendSession(session: OpenSession, view: PageView, time: number): OpenSession {
  return {
    ...session,
    end: view.ts > session.end ? view.ts : session.end,
    pageViews: session.pageViews + 1,
    pages: session.pages.length < MAX_PAGES ? [...session.pages, view.page] : session.pages,
    converted: session.converted || view.page === CONVERSION_PAGE,
    updatedAt: time,
  };
}

/** The finished form of a session. */
export function closeSession(session: OpenSession, endedBy: SessionEnd): Session {
  return {
    sessionId: session.sessionId,
    user: session.user,
    device: session.device,
    start: new Date(session.start).toISOString(),
    end: new Date(session.end).toISOString(),
    durationMs: session.end - session.start,
    pageViews: session.pageViews,
    landingPage: session.pages[0],
    exitPage: session.pages[session.pages.length - 1],
    referrer: session.referrer,
    converted: session.converted,
    pages: session.pages,
    endedBy,
  };
}

/**
 * The mapping function of the sessionization, for `mapWithState` keyed by user, with the
 * session gap as the state's timeout:
 *
 * - a page view of a user without a session opens one;
 * - a page view more than `gap` after the session's latest one (in event time) closes the
 *   session (emitted, `endedBy: 'gap'`) and opens a new one — this happens when the view
 *   arrives before the timeout noticed the pause, such as after a lag;
 * - any other page view extends the session;
 * - a session whose user sent nothing for `gap` (in batch time) times out: emitted with
 *   `endedBy: 'timeout'`, and its state removed.
 *
 * It emits finished sessions only (`undefined` otherwise): no allocation beyond the new state
 * for most page views.
 */
export function sessionize(
  gap: number,
): (
  user: string,
  view: PageView | undefined,
  state: State<OpenSession>,
  time: number,
) => Session | undefined {
  return (_user, view, state, time) => {
    if (state.isTimingOut()) return closeSession(state.get(), 'timeout');
    if (view === undefined) return undefined;
    const session = state.getOption();
    if (session === undefined) {
      state.update(openSession(view, time));
      return undefined;
    }
    if (view.ts - session.end > gap) {
      state.update(openSession(view, time));
      return closeSession(session, 'gap');
    }
    state.update(extendSession(session, view, time));
    return undefined;
  };
}

/** The streams of the sessionization. */
export interface Sessionization {
  /** Finished sessions. */
  readonly sessions: DStream<Session>;
  /** `[user, session]` for the open sessions a batch opened or extended. */
  readonly changedSessions: DStream<[string, OpenSession]>;
  /** Users whose session timed out in a batch (their open session is gone). */
  readonly endedUsers: DStream<string>;
  /** `[user, session]` of every open session after each batch. */
  readonly openSessions: DStream<[string, OpenSession]>;
}

/**
 * Sessionizes page views with `mapWithState`: {@link sessionize} with `gap` as timeout, starting
 * from `initialSessions` (the open sessions of an earlier run). Needs a checkpoint directory.
 */
export function buildSessionization(
  views: DStream<PageView>,
  gap: number,
  initialSessions: Iterable<readonly [string, OpenSession]> = [],
): Sessionization {
  const spec = StateSpec.function(sessionize(gap)).timeout(gap).initialState(initialSessions);
  const sessions = views.map((view): [string, PageView] => [view.user, view]).mapWithState(spec);
  const openSessions = sessions.stateSnapshots();
  const changedSessions = openSessions.transform((batch, time) =>
    batch.filter((entry) => entry[1].updatedAt === time),
  );
  const endedUsers = sessions.filter(endedByTimeout).map(userOf);
  return { sessions, changedSessions, endedUsers, openSessions };
}

function endedByTimeout(session: Session): boolean {
  return session.endedBy === 'timeout';
}

function userOf(session: Session): string {
  return session.user;
}
