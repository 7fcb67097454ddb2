// `npm run bench:ops`: how long GET /ops/overview takes to answer, on a local stack of its own
// (free ports), with an empty Postgres and then with OPS_BENCH_ORDERS (10,000) backup orders
// over 1,000 clients (a realistic mix: mostly COMPLETE, 5% FAILED, some of unknown outcome) and
// an audit entry per order. Sequential requests, so each time is one answer's own. Prints p50 /
// p95 / max and the Postgres part alone (the overview's four queries run in parallel, timed
// with the same SQL on a direct connection).
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import pg from "pg";
import { OUTCOME_UNKNOWN_REASON } from "../src/contract/index.ts";
import { freePort } from "../scripts/local-postgres.ts";
import { localSecrets } from "../src/config/local-secrets.ts";
import { startStack } from "../scripts/stack.ts";
import { DATA_DIR } from "./config.ts";
import { pct } from "./stats.ts";

const ORDERS = Number(process.env.OPS_BENCH_ORDERS ?? 10_000);
const SAMPLES = Number(process.env.OPS_BENCH_SAMPLES ?? 100);

const STATUS_MIX: [string, number][] = [
	["COMPLETE", 0.7],
	["CANCELLED", 0.1],
	["REJECTED", 0.05],
	["FAILED", 0.05],
	["SENT", 0.05],
	["OPEN", 0.04],
	["PENDING", 0.01],
];

async function seedOrders(db: pg.Client, n: number) {
	const rows: unknown[][] = [];
	let i = 0;
	for (const [status, share] of STATUS_MIX) {
		for (let k = 0; k < Math.round(n * share) && i < n; k++, i++) {
			const unknown = status === "SENT" && k % 2 === 0;
			const reason = status === "FAILED" ? "could not be relayed to the OMS after 8 attempt(s)" : unknown ? OUTCOME_UNKNOWN_REASON : null;
			rows.push([`OB${i}`, `CB${i % 1000}`, status, reason, `${1 + (i % 3600)} seconds`]);
		}
	}
	for (let start = 0; start < rows.length; start += 1000) {
		const chunk = rows.slice(start, start + 1000);
		const values = chunk.map(
			(_, j) =>
				`($${j * 5 + 1}, $${j * 5 + 2}, 'backup', 'NSE', 'SYM' || $${j * 5 + 1}, 'SELL', 10, 'MARKET', 'MIS', $${j * 5 + 3}, $${j * 5 + 4}, now() - $${j * 5 + 5}::interval, now())`,
		);
		await db.query(
			`INSERT INTO orders (id, client_id, origin, exchange, symbol, side, quantity, order_type, product, status, reason, created_at, updated_at) VALUES ${values.join(", ")}`,
			chunk.flat(),
		);
		await db.query(
			`INSERT INTO audit_log (id, at, client_id, actor, action) SELECT 'AB' || id, now(), client_id, 'system',
				CASE status WHEN 'FAILED' THEN 'order.failed' ELSE 'order.sent' END FROM orders WHERE id = ANY($1)`,
			[chunk.map((r) => r[0])],
		);
	}
}

async function timeOverview(site: string, n: number): Promise<number[]> {
	const headers = { authorization: `Bearer ${localSecrets.OPS_TOKEN}` };
	const times: number[] = [];
	for (let i = 0; i < n + 5; i++) {
		const started = performance.now();
		const res = await fetch(`${site}/ops/overview`, { headers });
		const body = (await res.json()) as { db: { up: boolean } };
		if (res.status !== 200 || !body.db.up) throw new Error(`overview ${res.status}: ${JSON.stringify(body).slice(0, 200)}`);
		if (i >= 5) times.push(performance.now() - started); // the first five warm the isolate and the pool
	}
	return times;
}

async function timeQueries(db: pg.Client, n: number): Promise<number[]> {
	const needsOps = `origin = 'backup' AND (status = 'FAILED' OR (status IN ('PENDING', 'SENT', 'OPEN') AND reason = $1))`;
	const times: number[] = [];
	for (let i = 0; i < n; i++) {
		const started = performance.now();
		await db.query("SELECT status, count(*)::int AS n FROM orders WHERE origin = 'backup' GROUP BY status");
		await db.query(`SELECT id, client_id, symbol FROM orders WHERE ${needsOps} ORDER BY updated_at DESC LIMIT 100`, [
			OUTCOME_UNKNOWN_REASON,
		]);
		await db.query(`SELECT count(*)::int FROM orders WHERE ${needsOps}`, [OUTCOME_UNKNOWN_REASON]);
		await db.query(
			"SELECT count(*)::int, count(*) FILTER (WHERE at > now() - interval '1 hour')::int FROM audit_log WHERE action = 'order.failed'",
		);
		times.push(performance.now() - started);
	}
	return times;
}

const line = (label: string, xs: number[]) =>
	`${label.padEnd(46)} p50 ${pct(xs, 50).toFixed(1).padStart(6)} ms  p95 ${pct(xs, 95).toFixed(1).padStart(6)} ms  max ${Math.max(...xs)
		.toFixed(1)
		.padStart(6)} ms`;

const dataDir = mkdtempSync(`${DATA_DIR}/lifeboat-ops-`);
chmodSync(dataDir, 0o755);
const stack = await startStack({ port: await freePort(), dataDir, persistent: false, quiet: true, buildUi: false });
try {
	// `wrangler dev` fires no cron: this starts the probe loop, so the overview has probes to read.
	await fetch(`${stack.url}/__scheduled`);
	const db = new pg.Client({ connectionString: stack.databaseUrl });
	await db.connect();
	try {
		const empty = await timeOverview(stack.url, SAMPLES);
		await seedOrders(db, ORDERS);
		await db.query("ANALYZE orders; ANALYZE audit_log");
		const full = await timeOverview(stack.url, SAMPLES);
		const queries = await timeQueries(db, SAMPLES);
		console.log(`GET /ops/overview, ${SAMPLES} sequential requests each (after 5 to warm up):`);
		console.log(line("  no orders in Postgres", empty));
		console.log(line(`  ${ORDERS.toLocaleString("en")} orders, ${ORDERS.toLocaleString("en")} audit entries`, full));
		console.log(line("  its four queries alone, one after another", queries));
	} finally {
		await db.end();
	}
} finally {
	await stack.stop();
	rmSync(dataDir, { recursive: true, force: true });
}
