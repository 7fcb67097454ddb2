// Shared by the tests that run in the Workers runtime.
import { env, exports } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { expect, inject } from "vitest";
import { openDb, schema } from "../src/db/client";
import { browserHeaders as sameSiteHeaders, poll, setFailover as postFailover, signIn as signInOver } from "../scripts/fixtures.ts";

export { cookieOf, eventually } from "../scripts/fixtures.ts";

export const SITE = "https://lifeboat.test";

/** Sends a request through the Worker's real fetch handler (routing, middleware, bindings). */
export function call(path: string, init: RequestInit = {}): Promise<Response> {
	return exports.default.fetch(new Request(new URL(path, SITE), init));
}

const OPS_TOKEN = "dev-ops-token";
export const opsHeaders = { authorization: `Bearer ${OPS_TOKEN}`, "content-type": "application/json", origin: SITE };

export function setFailover(active: boolean, reason = "test") {
	return postFailover(call, active, reason, { token: OPS_TOKEN, origin: SITE });
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
export const browserHeaders = (ip = randomIp()) => sameSiteHeaders(SITE, ip);

/**
 * Signs in through the real routes (password, then TOTP) and returns the session cookie
 * (`__Host-lb_session=...`) to send as a `cookie` header.
 */
export function signIn(clientId: string, password: string, totpSecret: string): Promise<string> {
	return signInOver(call, { clientId, password, totpSecret }, browserHeaders());
}

/** The audit actions recorded for a client, polled until `expected` are all there (the records queue writes them) or 10 s pass. */
export async function auditActions(clientId: string, expected: string[]): Promise<string[]> {
	const { value } = await poll(
		() =>
			query(async (db) =>
				(await db.select({ action: schema.auditLog.action }).from(schema.auditLog).where(eq(schema.auditLog.clientId, clientId))).map(
					(r) => r.action,
				),
			),
		(actions) => expected.every((a) => actions.includes(a)),
		{ timeoutMs: 10_000, intervalMs: 100 },
	);
	return value;
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

/** GET /api/orders/live as a browser on this site asks for it (other headers replace the Origin). */
export function upgrade(cookie: string, headers: Record<string, string> = { origin: SITE }) {
	return exports.default.fetch(new Request(`${SITE}/api/orders/live`, { headers: { upgrade: "websocket", cookie, ...headers } }));
}

/** Opens a live socket; `closed` settles with the close the server sent. */
export async function openSocket(cookie: string) {
	const res = await upgrade(cookie);
	expect(res.status).toBe(101);
	const ws = res.webSocket!;
	const closed = new Promise<{ code: number; reason: string }>((resolve) =>
		ws.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason })),
	);
	ws.accept();
	return { ws, closed };
}
