// GET /status: the public status page (api.md "Public status page"), rendered here, never by
// the single-page app, so it reads with scripts off. Language: `?lang=en|hi`, else the
// browser's Accept-Language (Hindi when ranked above English), else English; the page links
// to the other one. Cacheable for 10 s by anyone: it holds nothing personal.
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import type { AppEnv } from "../http/app-env";
import type { Activation, FailoverState } from "../contract";
import { failoverStub, readFailover } from "../failover/state";
import { validate } from "../http/validate";
import { log } from "../observability/log";
import { dataFreshness } from "../replication/freshness";
import { renderStatusPage, statusPageCsp } from "../status-page/render";
import { LANGS, pickLang } from "../status-page/text";

export const STATUS_PAGE_MAX_AGE_SECONDS = 10;

/**
 * The Failover object's history, reused by this isolate while the failover version is the same
 * (every activation changes it) and for at most the page's max-age: a crowd reading the page
 * must not become a crowd at the one Failover object.
 */
let history: { version: number; at: number; activations: Activation[] } | null = null;

async function activations(env: Env, version: number | null): Promise<Activation[] | null> {
	const fresh = history && history.version === version && Date.now() - history.at < STATUS_PAGE_MAX_AGE_SECONDS * 1000;
	if (fresh && history) return history.activations;
	try {
		const list = await failoverStub(env).activations(10);
		if (version !== null) history = { version, at: Date.now(), activations: list };
		return list;
	} catch (err) {
		log("status_page.history_unavailable", { message: String(err) }, "warn");
		return null;
	}
}

async function failoverOrNull(env: Env): Promise<FailoverState | null> {
	try {
		return await readFailover(env);
	} catch (err) {
		log("status_page.failover_unavailable", { message: String(err) }, "warn");
		return null;
	}
}

/**
 * Registered before the security headers (so it runs after them): the page's own CSP replaces the
 * site's, which allows no inline style.
 */
export const statusPageHeaders = createMiddleware<AppEnv>(async (c, next) => {
	await next();
	if (c.res.ok) c.res.headers.set("content-security-policy", await statusPageCsp());
});

export const statusPage = new Hono<AppEnv>().get("/", validate("query", z.object({ lang: z.enum(LANGS).optional() })), async (c) => {
	const lang = pickLang(c.req.valid("query").lang, c.req.header("accept-language"));
	const failover = await failoverOrNull(c.env);
	const [data, list] = await Promise.all([
		dataFreshness(c.env, (p) => c.executionCtx.waitUntil(p)),
		activations(c.env, failover?.version ?? null),
	]);
	const page = await renderStatusPage({ lang, failover, data, activations: list, now: new Date().toISOString() });
	return c.html(page, 200, {
		"cache-control": `public, max-age=${STATUS_PAGE_MAX_AGE_SECONDS}`,
		vary: "Accept-Language",
		"content-language": lang,
	});
});
