// Gateway mode: with PRIMARY_ORIGIN set and this Worker routed on the primary's hostname, it
// is the seed's "load balancer". In standby it passes every request for that host through to
// the primary (pages, assets and API alike: wrangler.toml runs the Worker before the assets
// layer, or the assets layer would answer the primary's pages with Lifeboat's); while active
// it sends browsers to the backup UI and API clients a 503 naming the backup. Requests for
// any other host (the backup's own) go on to the app untouched.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/app-env";
import { readFailover } from "./state";
import { problemResponse } from "../http/problem";
import { log } from "../observability/log";

/** Marks a request this gateway already forwarded: if it ever comes back to us, it must not go round again. */
const FORWARDED = "x-lifeboat-gateway";

function primaryHost(env: Env): string | null {
	if (!env.PRIMARY_ORIGIN) return null;
	try {
		return new URL(env.PRIMARY_ORIGIN).host;
	} catch {
		return null;
	}
}

/**
 * Where a request goes on the primary: PRIMARY_ORIGIN's scheme, host and port, with only the
 * path and query copied over. (Resolving the path against the origin would take `//evil.host/x`
 * for another host.)
 */
export function primaryTarget(primaryOrigin: string, url: URL): URL {
	const target = new URL(primaryOrigin);
	target.pathname = url.pathname;
	target.search = url.search;
	target.hash = "";
	return target;
}

function sendToBackup(env: Env, req: Request, requestId: string): Response {
	const backup = env.BACKUP_ORIGIN || null;
	log("gateway.to_backup", { requestId, path: new URL(req.url).pathname });
	if (backup && (req.headers.get("accept") ?? "").includes("text/html")) {
		return new Response(null, { status: 307, headers: { location: new URL("/", backup).toString(), "cache-control": "no-store" } });
	}
	return problemResponse(503, "PRIMARY_UNAVAILABLE", "the primary trading platform is down; use the backup site", { backup });
}

export const gateway = createMiddleware<AppEnv>(async (c, next) => {
	const host = primaryHost(c.env);
	const url = new URL(c.req.url);
	if (host === null || url.host !== host) return next();
	const requestId = c.get("requestId");
	if (c.req.header(FORWARDED)) {
		log("gateway.loop", { requestId, path: url.pathname }, "error");
		return problemResponse(508, "GATEWAY_LOOP", "the primary origin routes back to this gateway; PRIMARY_ORIGIN must address the origin");
	}
	if ((await readFailover(c.env)).active) return sendToBackup(c.env, c.req.raw, requestId);

	const forwarded = new Request(primaryTarget(c.env.PRIMARY_ORIGIN, url), c.req.raw);
	forwarded.headers.set(FORWARDED, "1");
	let res: Response | null = null;
	try {
		res = await fetch(forwarded, { redirect: "manual" });
		if (res.status < 500) return res;
	} catch (err) {
		log("gateway.primary_unreachable", { requestId, message: String(err) }, "warn");
	}
	// The primary failed us: the KV copy may lag a failover that already happened, so ask the truth.
	if ((await readFailover(c.env, { consistent: true })).active) return sendToBackup(c.env, c.req.raw, requestId);
	return res ?? problemResponse(502, "PRIMARY_UNREACHABLE", "the primary trading platform did not answer");
});
