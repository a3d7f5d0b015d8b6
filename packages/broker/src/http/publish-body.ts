/**
 * Validation of a publish body, sse-cluster's shape: `{ id?, event?, data, retry? }`.
 * `data` may be any JSON value: strings are sent as they are, anything else as JSON text.
 */
import { RequestError } from "../errors.ts";
import { isFieldValue } from "../sse/frame.ts";

/** A validated publish. */
export interface PublishFields {
  userId?: string | undefined;
  event?: string | undefined;
  data: string;
  retry?: number | undefined;
}

const MAX_EVENT_NAME = 256;
const MAX_USER_ID = 256;

export function parsePublishBody(body: unknown): PublishFields {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new RequestError(400, "ERR_BAD_BODY", "body must be a JSON object");
  const b = body as Record<string, unknown>;
  if (!Object.hasOwn(b, "data") || b.data === undefined)
    throw new RequestError(400, "ERR_BAD_BODY", "field `data` is required");
  const data = typeof b.data === "string" ? b.data : JSON.stringify(b.data);
  let event: string | undefined;
  if (b.event !== undefined && b.event !== null) {
    if (typeof b.event !== "string" || b.event.length > MAX_EVENT_NAME || !isFieldValue(b.event))
      throw new RequestError(400, "ERR_BAD_BODY", "`event` must be a string without line breaks");
    event = b.event === "" ? undefined : b.event;
  }
  let userId: string | undefined;
  if (b.id !== undefined && b.id !== null) {
    const id = typeof b.id === "number" ? String(b.id) : b.id;
    if (typeof id !== "string" || id.length > MAX_USER_ID || !isFieldValue(id))
      throw new RequestError(400, "ERR_BAD_BODY", "`id` must be a string or number without line breaks");
    userId = id;
  }
  let retry: number | undefined;
  if (b.retry !== undefined && b.retry !== null) {
    if (typeof b.retry !== "number" || !Number.isSafeInteger(b.retry) || b.retry < 0)
      throw new RequestError(400, "ERR_BAD_BODY", "`retry` must be a non-negative integer (ms)");
    retry = b.retry;
  }
  return { userId, event, data, retry };
}
