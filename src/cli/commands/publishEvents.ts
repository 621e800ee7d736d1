import type { PublishEvent } from '../../publish/publishPlan.js';
import type { PublicReadChange } from '../../stores/store.js';
import { diagnostic, type EventFields, type EventName } from '../events.js';

/** A publish event as its --json line (progress lines are throttled by the caller). */
export function publishEventLine(e: PublishEvent): [EventName, EventFields] {
  switch (e.type) {
    case 'start':
      // The plan's size, as a first progress line (the `start` line came before any work).
      return ['progress', { done: 0, objects: e.objects, bytes: 0, totalBytes: e.bytes, uploaded: 0, skipped: 0, retries: 0 }];
    case 'progress':
      return ['progress', { done: e.done, objects: e.objects, bytes: e.bytes, totalBytes: e.totalBytes, uploaded: e.uploaded, skipped: e.skipped, retries: e.retries }];
    case 'object':
      return ['object', { key: e.key, action: e.action, size: e.size }];
    case 'retry':
      return ['warning', diagnostic('publish.retry', `retry ${e.attempt} of ${e.key} in ${e.delayMs} ms: ${e.reason}`, { key: e.key, attempt: e.attempt, delayMs: e.delayMs, throttled: e.throttled })];
    case 'warning':
      return ['warning', diagnostic(e.code, e.message, e.context ?? (e.key === undefined ? {} : { key: e.key }))];
  }
}

/**
 * The stderr line of a retry or warning without --json; undefined for the other events.
 * Of a library, `presentation` names the one it is about.
 */
export function publishEventText(e: PublishEvent, presentation?: string): string | undefined {
  const about = presentation === undefined ? '' : `${presentation}: `;
  if (e.type === 'retry') return `retry ${e.attempt} of ${about}${e.key} in ${e.delayMs} ms: ${e.reason}`;
  if (e.type === 'warning') return `warning ${e.code}: ${about}${e.message}`;
  return undefined;
}

/** The line saying what --public did to the container. */
export function describePublicAccess(p: PublicReadChange): string {
  const policies = `${p.storedAccessPolicies} stored access polic${p.storedAccessPolicies === 1 ? 'y' : 'ies'} kept`;
  if (p.before === p.after) return `public access: already ${p.after}, left as it is (${policies})\n`;
  return `public access: ${p.before} -> ${p.after} (${policies})\n`;
}
