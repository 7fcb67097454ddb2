// Shared by the tests that run in the Workers runtime.
import { exports } from "cloudflare:workers";
import { inject } from "vitest";

export const SITE = "https://lifeboat.test";

/** Sends a request through the Worker's real fetch handler (routing, middleware, bindings). */
export function call(path: string, init: RequestInit = {}): Promise<Response> {
	return exports.default.fetch(new Request(new URL(path, SITE), init));
}

export const opsHeaders = { authorization: "Bearer dev-ops-token", "content-type": "application/json", origin: SITE };

export async function setFailover(active: boolean, reason = "test") {
	const res = await call("/ops/failover", { method: "POST", headers: opsHeaders, body: JSON.stringify({ active, reason }) });
	if (!res.ok) throw new Error(`failover ${res.status}: ${await res.text()}`);
}

export async function expectProblem(res: Response, status: number, code: string) {
	const body = (await res.json()) as { code: string; status: number };
	if (res.status !== status || body.code !== code || !res.headers.get("content-type")?.startsWith("application/problem+json")) {
		throw new Error(`expected ${status} ${code}, got ${res.status} ${JSON.stringify(body)}`);
	}
	return body;
}

/** How many statements Postgres has run for connections opened with this label (openDb's second argument). */
export async function statementsRunBy(label: string): Promise<number> {
	const res = await fetch(`${inject("pgStatsUrl")}/statements?app=${encodeURIComponent(label)}`);
	return ((await res.json()) as { count: number }).count;
}
