// Every problem code of the API as a plain sentence for a trader under stress. The table is
// keyed by the contract's ProblemCode, so a code added there fails to compile until it has one.
import type { ProblemCode } from "../../src/contract";
import { ApiError, NetworkError } from "./api";

/** For codes only machines (the OMS, the primary's sync, ops tools) should ever get. */
const NOT_FOR_TRADERS = "Lifeboat could not handle that request. Reload the page; if it keeps happening, call your broker's help desk.";

const sentences: Record<ProblemCode, string> = {
	INVALID_CREDENTIALS: "That client ID and password do not match. Check both and try again.",
	ACCOUNT_LOCKED:
		"Too many failed sign-ins from this connection: it is blocked for a few minutes. Wait, use another connection, or call your broker's help desk.",
	RATE_LIMITED: "Too many attempts in a short time. Wait a minute, then try again.",
	INVALID_OTP:
		"That code was not accepted, or the client ID or password was wrong (for your safety we do not say which). Enter them again with the current code from your authenticator app: codes change every 30 seconds and each works once.",
	UNAUTHENTICATED: "Your session has ended. Please sign in again.",
	PRIMARY_ACTIVE: "Your broker's main platform is working, so exits are not taken here. Use the main platform.",
	OMS_UNAVAILABLE:
		"Your exit was not placed: your broker's order system is not answering, so exits cannot reach the exchange right now. Try again in a minute. Exits you placed earlier are kept, and you can still cancel them.",
	QTY_EXCEEDS_POSITION: "That quantity is more than is still open in this position (exits already pending count too).",
	NOT_LOT_MULTIPLE: "The quantity must be a whole number of lots.",
	PRICE_OUTSIDE_BAND: "That price is outside today's allowed price range for this instrument.",
	PRICE_NOT_ON_TICK: "That price is not a valid step for this instrument. Use a multiple of its tick size.",
	POSITION_NOT_FOUND: "This position is no longer open. Your positions have been refreshed.",
	ORDER_NOT_FOUND: "That order could not be found. Your orders have been refreshed.",
	ORDER_NOT_CANCELLABLE: "That order can no longer be cancelled: it has already completed, been rejected or been cancelled.",
	NOTHING_TO_EXIT: "There is nothing left to exit: every open position already has exit orders covering it.",
	IDEMPOTENCY_KEY_REQUIRED: "The request was incomplete. Please try again.",
	IDEMPOTENCY_KEY_REUSED: "This request was changed after it was sent. Close this window and start the exit again.",
	IDEMPOTENCY_KEY_IN_FLIGHT: "Your earlier request is still being processed. Wait a moment.",
	INVALID_BODY: "Some of the details entered are not valid. Check them and try again.",
	MALFORMED_REQUEST: "The request could not be read. Reload the page and try again.",
	CROSS_SITE_REQUEST: "The request was blocked for your safety. Reload this page and try again.",
	TOO_MANY_CONNECTIONS:
		"Lifeboat is open in too many tabs or windows. Close some of them; this page keeps updating every few seconds meanwhile.",
	PAYLOAD_TOO_LARGE: "The request was too large to accept. Check what you entered and try again.",
	INTERNAL_ERROR: "Something went wrong on our side. Try again; if it keeps happening, call your broker's help desk.",
	POSITIONS_UNAVAILABLE: "Your positions could not be loaded just now. Wait a few seconds and try again.",
	SIGN_IN_UNAVAILABLE: "Sign-in is unavailable for a moment. Wait a few seconds and try again.",
	IDEMPOTENCY_KEY_INVALID: "The request was incomplete. Please try again.",
	PRIMARY_UNAVAILABLE: "Your broker's main platform is down. Use the Lifeboat backup site to exit your positions.",
	PRIMARY_UNREACHABLE: "Your broker's main platform did not answer. Wait a moment and try again, or use the Lifeboat backup site.",
	NOT_FOUND: "That page or action does not exist. Reload the page and try again.",
	INVALID_REQUEST: "Some of the details sent are not valid. Reload the page and try again.",
	HTTP_ERROR: "The request could not be completed. Reload the page and try again.",
	UPGRADE_REQUIRED: "Live updates could not be started. Reload the page; your orders still refresh every few seconds.",
	WOULD_UNHEDGE:
		"This long option is the hedge of a short option on the same underlying that is still open. Exit the short option first, so you are never left unhedged.",
	UNKNOWN_FIELD: "The request had details this site does not understand. Reload the page and try again.",
	BATCH_TOO_LARGE: NOT_FOR_TRADERS,
	GATEWAY_LOOP: NOT_FOR_TRADERS,
	INVALID_CHANGE_EVENT: NOT_FOR_TRADERS,
	INVALID_CURSOR: NOT_FOR_TRADERS,
	INVALID_SIGNATURE: NOT_FOR_TRADERS,
	REPLICATION_CONFLICT: NOT_FOR_TRADERS,
	UNKNOWN_CURSOR: NOT_FOR_TRADERS,
	UNKNOWN_TABLE: NOT_FOR_TRADERS,
};

const isProblemCode = (code: string): code is ProblemCode => Object.hasOwn(sentences, code);

export function describeError(err: unknown): string {
	if (err instanceof NetworkError) return "Lifeboat could not be reached. Check your connection and try again.";
	if (err instanceof ApiError) return isProblemCode(err.code) ? sentences[err.code] : (err.detail ?? `The request failed (${err.status}).`);
	return "Something unexpected happened. Reload the page and try again.";
}

export const knownCodes = Object.keys(sentences) as ProblemCode[];
