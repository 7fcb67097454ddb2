// One way to reach Postgres: the Neon serverless driver's Pool over WebSocket. Locally the
// socket goes through scripts/ws-relay.ts to the embedded Postgres (NEON_WS_PROXY set).
// Callers end the pool when done (`ctx.waitUntil(db.close())`): a pool left open keeps
// sockets alive past the request.
import { Pool, neonConfig } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-serverless";
import { log } from "../observability/log";
import * as schema from "./schema";

function configure(env: Pick<Env, "NEON_WS_PROXY">) {
	if (!env.NEON_WS_PROXY) return;
	const proxy = env.NEON_WS_PROXY;
	neonConfig.wsProxy = (host, port) => `${proxy}?address=${host}:${port}`;
	neonConfig.useSecureWebSocket = false;
	// pipelineConnect keeps its default, "password", as on Neon: the local Postgres asks for a
	// cleartext password too, so startup, password and first query go out without waiting.
	neonConfig.pipelineTLS = false;
}

/** `label` becomes the connection's application_name: it names the caller in Postgres' own views and logs. */
export function openDb(env: Pick<Env, "NEON_WS_PROXY" | "DATABASE_URL">, label = "lifeboat") {
	configure(env);
	const pool = new Pool({ connectionString: env.DATABASE_URL, max: 2, connectionTimeoutMillis: 5000, application_name: label });
	let closing = false;
	// Idle clients report their socket closing as an error once the pool is ended: not news.
	pool.on("error", (err: unknown) => {
		if (!closing) log("db.pool_error", { message: err instanceof Error ? err.message : String(err) }, "error");
	});
	const db = drizzle({ client: pool, schema });
	const close = () => {
		closing = true;
		return pool.end();
	};
	return { db, pool, close };
}

export type Db = ReturnType<typeof openDb>["db"];

/**
 * Runs `use` on a pool of its own and ends the pool afterwards: through `waitUntil` when one is
 * given (an answer need not wait for the socket to close), otherwise before returning.
 */
export async function withDb<T>(
	env: Pick<Env, "NEON_WS_PROXY" | "DATABASE_URL">,
	label: string | undefined,
	use: (db: Db) => Promise<T>,
	waitUntil?: (p: Promise<unknown>) => void,
): Promise<T> {
	const { db, close } = openDb(env, label);
	try {
		return await use(db);
	} finally {
		if (waitUntil) waitUntil(close());
		else await close();
	}
}
export { schema };
