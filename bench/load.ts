// One load run with autocannon: throughput, errors and the latency percentiles of its responses.
import autocannon from "autocannon";
import { pct } from "./stats.ts";

export async function load(opts: Parameters<typeof autocannon>[0]) {
	const latencies: number[] = [];
	const instance = autocannon(opts);
	instance.on("response", (_client: unknown, _status: number, _bytes: number, responseTime: number) => latencies.push(responseTime));
	const result = await instance;
	return {
		rps: result.requests.total / result.duration,
		total: result.requests.total,
		errors: result.errors + result.timeouts,
		ok: result["2xx"],
		non2xx: result.non2xx,
		p50: pct(latencies, 50),
		p95: pct(latencies, 95),
		p99: pct(latencies, 99),
	};
}

export type LoadResult = Awaited<ReturnType<typeof load>>;
