// The one place the rest of the Worker learns whether failover is on. KV is a cache that
// may be stale or missing (a 2025 outage failed most KV reads for hours); the Failover
// Durable Object is the truth.
import { FAILOVER_KV_KEY } from "../durable-objects/failover";
import type { FailoverState } from "./types";

export function failoverStub(env: Env) {
	return env.FAILOVER.getByName("global");
}

export async function readFailover(env: Env): Promise<FailoverState> {
	try {
		const cached = await env.FLAGS.get<FailoverState>(FAILOVER_KV_KEY, { type: "json", cacheTtl: 30 });
		if (cached && typeof cached.active === "boolean") return cached;
	} catch (err) {
		console.warn(JSON.stringify({ event: "failover.kv_read_failed", message: String(err) }));
	}
	return failoverStub(env).state();
}
