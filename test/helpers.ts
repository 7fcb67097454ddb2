// Shared by the tests that run in the Workers runtime.
import { env, exports } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { generate } from "otplib";
import { inject } from "vitest";
import { openDb, schema } from "../src/db/client";

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
	const body = (await res.json()) as { code: string; status: number; detail: string };
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

/** A random client address, so each test has its own per-IP sign-in budget. */
export const randomIp = () => `10.${Array.from(crypto.getRandomValues(new Uint8Array(3))).join(".")}`;

/** Headers of a same-site JSON request from one browser (address `ip`). */
export const browserHeaders = (ip = randomIp()) => ({ "content-type": "application/json", origin: SITE, "cf-connecting-ip": ip });

/** The `name=value` part of a Set-Cookie header. */
export const cookieOf = (res: Response) => (res.headers.get("set-cookie") ?? "").split(";")[0];

/**
 * Signs in through the real routes (password, then TOTP) and returns the session cookie
 * (`__Host-lb_session=...`) to send as a `cookie` header.
 */
export async function signIn(clientId: string, password: string, totpSecret: string): Promise<string> {
	const headers = browserHeaders();
	const login = await call("/api/auth/login", { method: "POST", headers, body: JSON.stringify({ clientId, password }) });
	if (login.status !== 200) throw new Error(`login ${login.status}: ${await login.text()}`);
	const { challengeId } = (await login.json()) as { challengeId: string };
	// A code of this time step may already be spent by an earlier sign-in of the same client:
	// the next step's code is within the one step of drift the server allows.
	for (const ahead of [0, 30]) {
		const code = await generate({ secret: totpSecret, epoch: Math.floor(Date.now() / 1000) + ahead });
		const res = await call("/api/auth/totp", { method: "POST", headers, body: JSON.stringify({ challengeId, code }) });
		if (res.status === 200) return cookieOf(res);
		if (res.status !== 401) throw new Error(`totp ${res.status}: ${await res.text()}`);
	}
	throw new Error(`sign-in of ${clientId} refused its TOTP codes`);
}

/** The audit actions recorded for a client, polled until `expected` are all there (the records queue writes them) or 10 s pass. */
export async function auditActions(clientId: string, expected: string[]): Promise<string[]> {
	const until = Date.now() + 10_000;
	for (;;) {
		const { db, close } = openDb(env);
		const rows = await db.select({ action: schema.auditLog.action }).from(schema.auditLog).where(eq(schema.auditLog.clientId, clientId));
		await close();
		const actions = rows.map((r) => r.action);
		if (expected.every((a) => actions.includes(a)) || Date.now() > until) return actions;
		await new Promise((r) => setTimeout(r, 100));
	}
}

/** Runs queries on the shared test Postgres through the Worker's own client. */
export async function query<T>(fn: (db: ReturnType<typeof openDb>["db"]) => Promise<T>): Promise<T> {
	const { db, close } = openDb(env);
	try {
		return await fn(db);
	} finally {
		await close();
	}
}

/** Polls until fn returns a value (not undefined/null/false) or the deadline passes: never a fixed sleep. */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, what = "condition", timeoutMs = 20_000): Promise<T> {
	const until = Date.now() + timeoutMs;
	for (;;) {
		const v = await fn();
		if (v !== undefined && v !== null && v !== false) return v;
		if (Date.now() > until) throw new Error(`${what}: not met within ${timeoutMs} ms`);
		await new Promise((r) => setTimeout(r, 50));
	}
}
