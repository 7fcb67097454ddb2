// The bench's bare Worker: no code of ours, a 404 for everything. Served by `wrangler dev` with
// the site's flags in the same run, it is the runtime's own ceiling on this machine. Its
// `shaped` config (wrangler.shaped.toml) adds what every request to the site pays before any of
// our code: the assets layer in front of the Worker and one JSON log line per request.
interface BareEnv {
	LOG_EACH_REQUEST?: string;
}

export default {
	fetch(request: Request, env: BareEnv) {
		if (env.LOG_EACH_REQUEST === "on") {
			const { pathname } = new URL(request.url);
			console.log(
				JSON.stringify({
					level: "info",
					event: "http.request",
					at: new Date().toISOString(),
					requestId: crypto.randomUUID(),
					method: request.method,
					path: pathname,
					status: 404,
				}),
			);
		}
		return new Response(null, { status: 404 });
	},
};
