import type { ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { log } from "../observability/log";
import type { AppEnv } from "./app-env";
import { Problem, problemResponse, respondProblem } from "./problem";

export const onError: ErrorHandler<AppEnv> = (err, c) => {
	if (err instanceof Problem) return respondProblem(c, err);
	if (err instanceof HTTPException) {
		// Hono middleware that answers with a problem of ours (bearerAuth, src/auth/bearer.ts).
		if (err.res?.headers.get("content-type")?.startsWith("application/problem+json")) return err.getResponse();
		// Hono raises these for malformed input it parses itself (e.g. a body that is not JSON).
		const status = err.status >= 500 ? 400 : err.status;
		return problemResponse(status, status === 400 ? "MALFORMED_REQUEST" : "HTTP_ERROR", err.message || "malformed request");
	}
	const requestId = c.get("requestId");
	log("http.unhandled_error", { requestId, message: String(err), stack: (err as Error)?.stack }, "error");
	return problemResponse(500, "INTERNAL_ERROR", "something went wrong on our side", { requestId });
};

export const notFound: NotFoundHandler<AppEnv> = (c) =>
	problemResponse(404, "NOT_FOUND", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`);
