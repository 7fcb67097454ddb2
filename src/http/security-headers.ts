// Security headers on every response the Worker sends (problem responses and the UI's files
// included), by Hono's secureHeaders set to our stricter values (a CSP, DENY framing, two
// years of HSTS, no referrer). ui/public/_headers sets the same ones on the static files.
import { createMiddleware } from "hono/factory";
import { secureHeaders } from "hono/secure-headers";

/** What every response carries (the tests check these; Hono adds a few more of its own). */
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

const hono = secureHeaders({
	contentSecurityPolicy: {
		defaultSrc: ["'self'"],
		scriptSrc: ["'self'"],
		styleSrc: ["'self'"],
		imgSrc: ["'self'", "data:"],
		connectSrc: ["'self'"],
		frameAncestors: ["'none'"],
		baseUri: ["'none'"],
		formAction: ["'self'"],
	},
	strictTransportSecurity: SECURITY_HEADERS["strict-transport-security"],
	xFrameOptions: "DENY",
	referrerPolicy: "no-referrer",
	crossOriginOpenerPolicy: "same-origin",
	permissionsPolicy: { camera: [], microphone: [], geolocation: [] },
});

export const securityHeaders = createMiddleware(async (c, next) => {
	// A WebSocket upgrade's 101 carries no document to protect (and its headers are not ours to change).
	if (c.req.header("upgrade")?.toLowerCase() === "websocket") {
		await next();
		if (c.res.status === 101) return;
		for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
		return;
	}
	await hono(c, next);
});

/** API answers are per user and per moment: never stored by a browser or a proxy. */
export const noStore = createMiddleware(async (c, next) => {
	await next();
	if (c.res.status !== 101) c.res.headers.set("cache-control", "no-store");
});
