// Body size limits (Hono's bodyLimit): checked before anything reads, hashes or parses a body.
// A declared Content-Length over the limit is refused before a byte is read; a streamed body
// is read only up to the limit. 413 problem+json either way.
import { bodyLimit } from "hono/body-limit";
import type { ProblemCode } from "../contract";
import { Problem } from "./problem";

/** Trader and sign-in bodies are a few hundred bytes. */
export const API_BODY_LIMIT = 32 * 1024;
export const OPS_BODY_LIMIT = 64 * 1024;
/** Up to MAX_OMS_EVENTS_PER_REQUEST (500) events of well under 2 KB each. */
export const OMS_EVENTS_BODY_LIMIT = 1024 * 1024;

export const limitBody = (maxSize: number, code: ProblemCode = "PAYLOAD_TOO_LARGE") =>
	bodyLimit({
		maxSize,
		onError: () => {
			throw new Problem(413, code, `the body may be at most ${maxSize} bytes`);
		},
	});
