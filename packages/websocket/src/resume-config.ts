// `@WebSocketService({ resume })`: what a resumable session keeps while its transport is down
// (session.ts), with its defaults and start-time validation.
import { type ConfigErrorFactory, bytes, count, seconds } from './validate';

export const DEFAULT_RESUME_WINDOW = 30;
export const DEFAULT_RESUME_MAX_MESSAGES = 1000;
export const DEFAULT_RESUME_MAX_BYTES = 1024 * 1024;

/** `@WebSocketService({ resume })`: how long and how much a dropped session keeps. */
export interface ResumeConfig {
  /** Seconds a session outlives its dropped transport (default 30); past it `@OnClose` runs with 1006 `session expired`. */
  window?: number;
  /**
   * Messages to the client not yet acknowledged that a session holds (default 1000). While the
   * transport is up a write past it waits for acknowledgements; while it is down the session
   * ends at once with 1013 `resume buffer full`.
   */
  maxBufferedMessages?: number;
  /** Bytes of those messages (default 1 MiB), under the same rule. */
  maxBufferedBytes?: number;
}

/** A validated `resume` with its defaults. */
export interface ResolvedResumeConfig {
  readonly window: number;
  readonly maxBufferedMessages: number;
  readonly maxBufferedBytes: number;
}

export function validateResume(value: unknown, error: ConfigErrorFactory): ResolvedResumeConfig | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw error('resume', 'must be an object: { window, maxBufferedMessages, maxBufferedBytes }');
  }
  const resume = value as Record<string, unknown>;
  for (const field of Object.keys(resume)) {
    if (field !== 'window' && field !== 'maxBufferedMessages' && field !== 'maxBufferedBytes') {
      throw error(`resume.${field}`, 'is not a resume option (window, maxBufferedMessages, maxBufferedBytes)');
    }
  }
  return Object.freeze({
    window: seconds(error, 'resume.window', resume.window, DEFAULT_RESUME_WINDOW, 'positive'),
    maxBufferedMessages: count(error, 'resume.maxBufferedMessages', resume.maxBufferedMessages, DEFAULT_RESUME_MAX_MESSAGES),
    maxBufferedBytes: bytes(error, 'resume.maxBufferedBytes', resume.maxBufferedBytes, DEFAULT_RESUME_MAX_BYTES),
  });
}
