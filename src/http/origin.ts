// CSRF defence: a state-changing /api request must come from a page of this site. Browsers
// send Origin on every cross-site POST (and on same-origin ones), so a missing or foreign
// Origin is refused. The live socket's upgrade (a GET) is held to the same rule. Machine
// endpoints (/sync, /oms) use bearer tokens or signatures and are not mounted under it; /ops is
// also a browser's (the console, signed in by Access's cookie), so a foreign Origin is refused
// there too, while a request with none (a script with the token) goes on.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./app-env";
import { Problem } from "./problem";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Throws the 403 unless `origin` is exactly this site's (scheme, host and port of the request). */
export function requireOwnOrigin(origin: string | undefined, requestUrl: string): void {
	if (origin !== new URL(requestUrl).origin) {
		throw new Problem(403, "CROSS_SITE_REQUEST", origin ? `requests from ${origin} are not accepted` : "an Origin header is required");
	}
}

export const requireSameOrigin = createMiddleware<AppEnv>(async (c, next) => {
	if (!SAFE_METHODS.has(c.req.method)) requireOwnOrigin(c.req.header("origin"), c.req.url);
	await next();
});

/**
 * /ops: a browser's state-changing request must come from this site; a machine's (no Origin)
 * goes on. Another site's page cannot fetch or embed an ops GET either (a client view is audited
 * in the operator's name); following a link to the console from elsewhere still works.
 */
export const refuseForeignOrigin = createMiddleware<AppEnv>(async (c, next) => {
	if (c.req.header("sec-fetch-site") === "cross-site" && c.req.header("sec-fetch-mode") !== "navigate") {
		throw new Problem(403, "CROSS_SITE_REQUEST", "requests from other sites' pages are not accepted");
	}
	const origin = c.req.header("origin");
	if (!SAFE_METHODS.has(c.req.method) && origin !== undefined) requireOwnOrigin(origin, c.req.url);
	await next();
});
