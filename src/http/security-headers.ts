// Security headers on every response the Worker sends (problem responses included).
// ui/public/_headers sets the same ones on the static assets the assets layer serves.
import { createMiddleware } from "hono/factory";

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
	"content-security-policy":
		"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
	"strict-transport-security": "max-age=63072000; includeSubDomains",
	"x-content-type-options": "nosniff",
	"x-frame-options": "DENY",
	"referrer-policy": "no-referrer",
	"cross-origin-opener-policy": "same-origin",
	"permissions-policy": "camera=(), microphone=(), geolocation=()",
};

export const securityHeaders = createMiddleware(async (c, next) => {
	await next();
	// A WebSocket upgrade's 101 carries no document to protect.
	if (c.res.status === 101) return;
	for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
});
