// CSRF defence: a state-changing /api request must come from a page of this site. Browsers
// send Origin on every cross-site POST (and on same-origin ones), so a missing or foreign
// Origin is refused. Machine endpoints (/ops, /sync, /oms) use bearer tokens or signatures
// instead and are not mounted under this middleware.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./app-env";
import { Problem } from "./problem";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export const requireSameOrigin = createMiddleware<AppEnv>(async (c, next) => {
	if (!SAFE_METHODS.has(c.req.method)) {
		const origin = c.req.header("origin");
		if (origin !== new URL(c.req.url).origin) {
			throw new Problem(403, "CROSS_SITE_REQUEST", origin ? `requests from ${origin} are not accepted` : "an Origin header is required");
		}
	}
	await next();
});
