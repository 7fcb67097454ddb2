// 0. bare ceiling: a Worker with no code of ours (bench/bare-worker), under `wrangler dev` with
// the site's flags, loaded like the site's ceiling in the same run: what the runtime itself
// serves on this machine, the yardstick for every ratio. The `shaped` variant adds the assets
// layer and a log line a request: what any Worker set up like the site pays before its own code.
import { fileURLToPath } from "node:url";
import { poll } from "../../scripts/fixtures.ts";
import { freePort } from "../../scripts/local-postgres.ts";
import { spawnWranglerDev, stopProcessGroup } from "../../scripts/stack.ts";
import { CONNECTIONS, SECONDS } from "../config.ts";
import { type LoadResult, load } from "../load.ts";

const configs = {
	bare: fileURLToPath(new URL("../bare-worker/wrangler.toml", import.meta.url)),
	shaped: fileURLToPath(new URL("../bare-worker/wrangler.shaped.toml", import.meta.url)),
};

/** Starts the bare Worker (or its shaped variant), loads it for SECONDS, stops it. */
export async function runBareCeiling(variant: keyof typeof configs = "bare"): Promise<LoadResult> {
	const port = await freePort();
	// Not `/`: the shaped variant's assets layer would answer that with its index page.
	const url = `http://127.0.0.1:${port}/api/__ceiling`;
	const wrangler = await spawnWranglerDev({ port, config: configs[variant], quiet: true });
	try {
		const up = await poll(
			() =>
				fetch(url).then(
					(r) => r.status === 404,
					() => false,
				),
			(ok) => ok,
			{ timeoutMs: 60_000, intervalMs: 500 },
		);
		if (!up.met) throw new Error(`the bare Worker (${variant}) did not come up on ${url}`);
		console.log(`bare ceiling (${variant}): a Worker with no code of ours, ${CONNECTIONS} connections, ${SECONDS} s ...`);
		return await load({ url, connections: CONNECTIONS, duration: SECONDS });
	} finally {
		await stopProcessGroup(wrangler);
	}
}
