// The error a WebDAV request fails with: an HTTP status and, where RFC 4918 §16 names one, a
// precondition the handler sends as a `<D:error>` body.

/** The RFC 4918 §16 precondition codes dfs reports. */
export type DavConditionName =
  | 'lock-token-submitted'
  | 'no-conflicting-lock'
  | 'lock-token-matches-request-uri'
  | 'propfind-finite-depth'
  | 'cannot-modify-protected-property'
  | 'no-external-entities';

/** A failed precondition; `paths` are the DAV paths it names (locked resources, conflicting lock roots). */
export interface DavCondition {
  name: DavConditionName;
  paths?: readonly string[];
}

/**
 * A WebDAV failure. WebDAV has statuses dfs's native protocol never sends (412, 423, 424, 507),
 * so this carries the status itself; the handler answers `status` with `errorXml(condition)` as
 * the body when there is a condition, else a short text body with `message`.
 */
export class DavError extends Error {
  readonly status: number;
  readonly condition: DavCondition | undefined;

  constructor(status: number, message: string, condition?: DavCondition, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DavError';
    this.status = status;
    this.condition = condition;
  }
}

/** A 400 for a request the server cannot make sense of. */
export function badRequest(message: string, cause?: unknown): DavError {
  return new DavError(400, message, undefined, cause === undefined ? undefined : { cause });
}
