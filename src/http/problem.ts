// RFC 9457 problem details. Every error the API returns goes through here.
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ProblemCode, Refusal, RefusalCode } from "../contract";

/** A refusal we meant to give: becomes problem+json with its status and stable code. */
export class Problem extends Error {
	constructor(
		readonly status: ContentfulStatusCode,
		readonly code: ProblemCode,
		readonly detail: string,
		readonly extra: Record<string, unknown> = {},
	) {
		super(`${code}: ${detail}`);
	}
}

/** The HTTP status of each refusal a Durable Object can give. */
export const REFUSAL_STATUS: Record<RefusalCode, ContentfulStatusCode> = {
	UNAUTHENTICATED: 401,
	POSITIONS_UNAVAILABLE: 503,
	POSITION_NOT_FOUND: 404,
	QTY_EXCEEDS_POSITION: 422,
	NOTHING_TO_EXIT: 422,
	NOT_LOT_MULTIPLE: 422,
	PRICE_NOT_ON_TICK: 422,
	PRICE_OUTSIDE_BAND: 422,
	ORDER_NOT_FOUND: 404,
	ORDER_NOT_CANCELLABLE: 409,
	IDEMPOTENCY_KEY_REUSED: 422,
	IDEMPOTENCY_KEY_IN_FLIGHT: 409,
	WOULD_UNHEDGE: 409,
	CONFIG_INCOMPLETE: 409,
};

export const refusalProblem = (r: Refusal) => new Problem(REFUSAL_STATUS[r.code], r.code, r.detail);

export interface ProblemBody {
	type: string;
	title: string;
	status: number;
	detail: string;
	code: ProblemCode;
	[extra: string]: unknown;
}

const titles: Record<number, string> = {
	400: "Bad Request",
	401: "Unauthorized",
	403: "Forbidden",
	404: "Not Found",
	405: "Method Not Allowed",
	409: "Conflict",
	413: "Content Too Large",
	415: "Unsupported Media Type",
	422: "Unprocessable Content",
	423: "Locked",
	429: "Too Many Requests",
	500: "Internal Server Error",
	502: "Bad Gateway",
	503: "Service Unavailable",
	508: "Loop Detected",
};

export function problemBody(status: number, code: ProblemCode, detail: string, extra: Record<string, unknown> = {}): ProblemBody {
	return {
		type: `https://lifeboat.dev/problems/${code.toLowerCase().replaceAll("_", "-")}`,
		title: titles[status] ?? "Error",
		status,
		detail,
		code,
		...extra,
	};
}

export function problemResponse(status: number, code: ProblemCode, detail: string, extra: Record<string, unknown> = {}): Response {
	return new Response(JSON.stringify(problemBody(status, code, detail, extra)), {
		status,
		headers: { "content-type": "application/problem+json" },
	});
}

export function respondProblem(c: Context, p: Problem): Response {
	return c.body(JSON.stringify(problemBody(p.status, p.code, p.detail, p.extra)), p.status, {
		"content-type": "application/problem+json",
	});
}
