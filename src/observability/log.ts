// Structured logs: one JSON line per event, readable with `wrangler tail --format json`.
// Request-scoped lines carry `requestId`; a client id never appears in clear, only as
// `clientHash` (SHA-256, first 16 hex digits): use logForClient. Lines are written by
// ./log-line (the one module that touches the console).
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/app-env";
import { sha256Hex } from "../http/hex";
import { type LogLevel, log } from "./log-line";

export { type LogLevel, log };

/** Hashes already worked out: a signed-in client's every request logs its hash. Emptied when full. */
const hashes = new Map<string, string>();
const HASHES_KEPT = 10_000;

export async function clientHash(clientId: string): Promise<string> {
	const known = hashes.get(clientId);
	if (known !== undefined) return known;
	const hash = (await sha256Hex(clientId)).slice(0, 16);
	if (hashes.size >= HASHES_KEPT) hashes.clear();
	hashes.set(clientId, hash);
	return hash;
}

/** A log line about one client: the id is replaced by its hash. */
export async function logForClient(
	event: string,
	clientId: string,
	fields: Record<string, unknown> = {},
	level: LogLevel = "info",
): Promise<void> {
	log(event, { ...fields, clientHash: await clientHash(clientId) }, level);
}

/** One line per request: method, path, status, duration, request id, and the signed-in client's hash. */
export const requestLog = createMiddleware<AppEnv>(async (c, next) => {
	const started = Date.now();
	await next();
	const fields = {
		requestId: c.get("requestId"),
		method: c.req.method,
		path: new URL(c.req.url).pathname,
		status: c.res.status,
		ms: Date.now() - started,
	};
	const clientId = c.get("clientId");
	if (clientId) await logForClient("http.request", clientId, fields);
	else log("http.request", fields);
});
