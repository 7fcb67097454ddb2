// Everything the routes do not take. The Worker runs before the assets layer (wrangler.toml,
// for gateway mode), so the UI's files come from here: any path outside the machine and API
// prefixes goes to the assets binding (the single-page app's fallback included); under those
// prefixes an unknown path is a 404 problem.
import type { NotFoundHandler } from "hono";
import type { AppEnv } from "./app-env";
import { notFound } from "./errors";

const OURS = /^\/(api|ops|sync|oms)(\/|$)/;

export const assetsOrNotFound: NotFoundHandler<AppEnv> = async (c) => {
	if (OURS.test(c.req.path) || !c.env.ASSETS) return notFound(c);
	const res = await c.env.ASSETS.fetch(c.req.raw);
	// A fetched response's headers are immutable: copied, so the security headers can be set.
	return new Response(res.body, res);
};
