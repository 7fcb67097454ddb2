// 5. replication: POST /sync/changes fed the way Debezium Server feeds it (one batch at a time,
// up to 1,000 events, the next when the last was answered), from a simulated busy primary:
// position updates across many clients, the primary's pending orders inserted, updated and
// deleted, a few instrument changes, no prices. Two runs:
//   - the highest sustained rate: batches back to back, always full;
//   - lag at a steady rate (5,000 changes/s for 30 s): from each change's source.ts_ms to a
//     signed-in trader seeing it on the live socket (that value, or a newer one of the position).
// Self-contained: its knobs and seeding here, its report (BENCHMARKS.md section, results block)
// in replication-report.ts.
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { sealCredentials, sleep } from "../../scripts/fixtures.ts";
import { localSecrets } from "../../src/config/local-secrets.ts";
import { withPg } from "../../scripts/seed.ts";
import type { Stack } from "../../scripts/stack.ts";
import type { Position } from "../../src/contract/index.ts";
import { getJson, pool, signIn } from "../clients.ts";
import { PASSWORD, TOTP_SECRET } from "../config.ts";

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
export const REPLICATION_KNOBS = `  BENCH_REPLICATION_CLIENTS (5000)  clients whose positions and orders change
  BENCH_REPLICATION_TRADERS (50)    of them signed in with a live socket (the lag is theirs)
  BENCH_REPLICATION_SECONDS (20)    seconds of the highest-rate run
  BENCH_REPLICATION_RATE (5000)     changes/s of the lag run
  BENCH_REPLICATION_LAG_SECONDS (30) seconds of the lag run
  BENCH_REPLICATION_BATCH (1000)    events per batch at most (Debezium's max.batch.size)`;
export const CLIENTS = env("BENCH_REPLICATION_CLIENTS", 5000);
export const TRADERS = Math.min(CLIENTS, env("BENCH_REPLICATION_TRADERS", 50));
const MAX_SECONDS = env("BENCH_REPLICATION_SECONDS", 20);
export const LAG_RATE = env("BENCH_REPLICATION_RATE", 5000);
const LAG_SECONDS = env("BENCH_REPLICATION_LAG_SECONDS", 30);
export const BATCH = env("BENCH_REPLICATION_BATCH", 1000);
export const INSTRUMENTS = 500;
export const POSITIONS_PER_CLIENT = 3;
/** How long the lag run waits after its last batch for traders to see what is still on its way. */
export const DRAIN_MS = 15_000;

/** The mix, as shares of all changes: the rest are the primary's pending orders. */
export const POSITION_SHARE = 0.7;
export const INSTRUMENT_SHARE = 0.002;

const _root = fileURLToPath(new URL("../..", import.meta.url));
const rand = (n: number) => Math.floor(Math.random() * n);

interface PendingOrder {
	orderNo: string;
	clientId: string;
	symbol: string;
	qty: number;
	filled: number;
}

/** The primary's side: its rows as they stand, and the next change to one of them, Debezium-shaped. */
class Primary {
	private lsn = Date.now() * 1000;
	private orderSeq = 0;
	private readonly netQty: number[];
	private readonly orders: PendingOrder[] = [];
	/** Changes to the traders' positions not yet seen by them: per position, in the order made. */
	readonly unseen = new Map<string, { netQty: number; tsMs: number }[]>();

	/** The signed-in traders' client ids. */
	traderIds = new Set<string>();

	readonly run: string;

	constructor(run: string) {
		this.run = run;
		this.netQty = Array.from({ length: CLIENTS * POSITIONS_PER_CLIENT }, () => 100);
	}

	clientId = (c: number) => `${this.run}C${String(c).padStart(5, "0")}`;
	positionId = (p: number) => `${this.run}P${p}`;
	scripId = (i: number) => `${this.run}S${i}`;
	symbol = (i: number) => `${this.run}SYM${i}`;
	/** Client c's j-th position holds instrument (c * 7 + j * 131) mod INSTRUMENTS. */
	instrumentOf = (p: number) => (Math.floor(p / POSITIONS_PER_CLIENT) * 7 + (p % POSITIONS_PER_CLIENT) * 131) % INSTRUMENTS;

	private event(table: string, op: string, image: Record<string, unknown>, tsMs: number) {
		return {
			op,
			before: op === "d" ? image : null,
			after: op === "d" ? null : image,
			source: { name: "bench-primary", schema: "primary", table, ts_ms: tsMs, lsn: ++this.lsn },
		};
	}

	next() {
		const tsMs = Date.now();
		const r = Math.random();
		if (r < POSITION_SHARE) {
			const p = rand(this.netQty.length);
			const netQty = (this.netQty[p] ?? 100) + 1 + rand(5);
			this.netQty[p] = netQty;
			const clientId = this.clientId(Math.floor(p / POSITIONS_PER_CLIENT));
			const id = this.positionId(p);
			if (this.traderIds.has(clientId)) {
				const list = this.unseen.get(id);
				if (list) list.push({ netQty, tsMs });
				else this.unseen.set(id, [{ netQty, tsMs }]);
			}
			const row = {
				position_id: id,
				client_code: clientId,
				scrip_id: this.scripId(this.instrumentOf(p)),
				product_type: "MIS",
				net_qty: netQty,
				avg_price: "100.00",
			};
			return this.event("net_positions", "u", row, tsMs);
		}
		if (r < POSITION_SHARE + INSTRUMENT_SHARE) {
			// A circuit band or freeze quantity moves; the price does not come this way.
			const i = rand(INSTRUMENTS);
			const row = {
				scrip_id: this.scripId(i),
				exchange: "NSE",
				segment: "EQ",
				trading_symbol: this.symbol(i),
				underlying: this.symbol(i),
				option_type: null,
				lot_size: 1,
				tick_size: "0.05",
				freeze_qty: 10_000 + rand(1000),
				lower_circuit: "1.00",
				upper_circuit: `${1000 + rand(100)}.00`,
				last_price: "100.00",
			};
			return this.event("scrip_master", "u", row, tsMs);
		}
		// Pending orders: about as many placed as go away (filled or cancelled), a third updated.
		const roll = Math.random();
		if (this.orders.length < 100 || roll < 0.34) {
			const c = rand(CLIENTS);
			const p = c * POSITIONS_PER_CLIENT + rand(POSITIONS_PER_CLIENT);
			const o = {
				orderNo: `${this.run}O${++this.orderSeq}`,
				clientId: this.clientId(c),
				symbol: this.symbol(this.instrumentOf(p)),
				qty: 10,
				filled: 0,
			};
			this.orders.push(o);
			return this.event("pending_orders", "c", this.orderRow(o), tsMs);
		}
		const k = rand(this.orders.length);
		const o = this.orders[k] as PendingOrder;
		if (roll < 0.67 && o.filled < o.qty - 1) {
			o.filled++;
			return this.event("pending_orders", "u", this.orderRow(o), tsMs);
		}
		this.orders[k] = this.orders.at(-1) as PendingOrder;
		this.orders.pop();
		return this.event("pending_orders", "d", { order_no: o.orderNo }, tsMs);
	}

	private orderRow(o: PendingOrder) {
		return {
			order_no: o.orderNo,
			client_code: o.clientId,
			exchange: "NSE",
			trading_symbol: o.symbol,
			buy_sell: "S",
			order_qty: o.qty,
			filled_qty: o.filled,
			price_type: "L",
			limit_price: "100.50",
			product_type: "MIS",
			order_status: "OPEN PENDING",
		};
	}
}

/**
 * The clients, instruments and positions the primary starts from, straight into Postgres, as a
 * snapshot would leave them: statistics included (autovacuum analyzes tables after a bulk load).
 */
async function seed(databaseUrl: string, primary: Primary) {
	const sealed = await sealCredentials(PASSWORD, TOTP_SECRET, localSecrets);
	const ids = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));
	const positions = CLIENTS * POSITIONS_PER_CLIENT;
	await withPg(databaseUrl, async (db) => {
		await db.query(
			`INSERT INTO clients (client_id, name, password_hash, totp_seed_enc, status)
			 SELECT id, 'Bench ' || id, $2, $3, 'active' FROM unnest($1::text[]) AS id`,
			[ids(CLIENTS, primary.clientId), sealed.passwordHash, sealed.totpSeedEnc],
		);
		await db.query(
			`INSERT INTO instruments (id, exchange, segment, symbol, underlying, lot_size, tick_size, freeze_qty, price_band_low, price_band_high, ltp)
			 SELECT id, 'NSE', 'EQ', sym, sym, 1, 0.05, 10000, 1.00, 1000.00, 100.00 FROM unnest($1::text[], $2::text[]) AS t(id, sym)`,
			[ids(INSTRUMENTS, primary.scripId), ids(INSTRUMENTS, primary.symbol)],
		);
		await db.query(
			`INSERT INTO positions (id, client_id, instrument_id, product, net_qty, avg_price)
			 SELECT id, client_id, instrument_id, 'MIS', 100, 100.00 FROM unnest($1::text[], $2::text[], $3::text[]) AS t(id, client_id, instrument_id)`,
			[
				ids(positions, primary.positionId),
				ids(positions, (p) => primary.clientId(Math.floor(p / POSITIONS_PER_CLIENT))),
				ids(positions, (p) => primary.scripId(primary.instrumentOf(p))),
			],
		);
		await db.query("ANALYZE clients, instruments, positions, orders, replication_tombstones");
	});
}

/**
 * Statement logging (on for the accept run's counter) would have Postgres write every batch's
 * parameters to its log. It is set on the server's command line, which ALTER SYSTEM cannot
 * override; a database's own setting can, for every session opened after it (each request's).
 */
const statementLog = (databaseUrl: string, on: boolean) =>
	withPg(databaseUrl, async (db) => {
		const database = `"${new URL(databaseUrl).pathname.slice(1).replaceAll('"', '""')}"`;
		await db.query(on ? `ALTER DATABASE ${database} RESET log_statement` : `ALTER DATABASE ${database} SET log_statement = 'none'`);
	});

/** A trader's live socket: every position pushed settles the changes it shows (that value or an older one of the position). */
async function watch(site: string, cookie: string, primary: Primary, lags: number[]) {
	const ws = new WebSocket(`${site.replace(/^http/, "ws")}/api/orders/live`, { headers: { cookie, origin: site } });
	ws.on("message", (data) => {
		const msg = JSON.parse(String(data)) as { type: string; position?: Position };
		if (msg.type !== "position" || !msg.position) return;
		const { id, netQty } = msg.position;
		const waiting = primary.unseen.get(id);
		if (!waiting) return;
		const now = Date.now();
		while (waiting[0] && waiting[0].netQty <= netQty) lags.push(now - (waiting.shift()?.tsMs ?? now));
	});
	await new Promise<void>((resolve, reject) => {
		ws.once("open", () => resolve());
		ws.once("error", reject);
	});
	return ws;
}

interface Sent {
	changes: number;
	batches: number[];
	/** Per part of a batch's handling the site names in Server-Timing (read, parse, apply, notify): ms per batch. */
	parts: Record<string, number[]>;
	errors: string[];
}

const newSent = (): Sent => ({ changes: 0, batches: [], parts: {}, errors: [] });

/** Posts one batch, and again after a failure (as Debezium retries) until it is taken; 20 failures in a row end the run. */
async function send(site: string, batch: unknown[], sent: Sent) {
	const body = JSON.stringify(batch);
	for (let attempt = 1; ; attempt++) {
		const t0 = performance.now();
		try {
			const res = await fetch(`${site}/sync/changes`, {
				method: "POST",
				headers: { authorization: `Bearer ${localSecrets.SYNC_TOKEN}`, "content-type": "application/json" },
				body,
			});
			const answer = await res.text();
			if (res.ok) {
				sent.batches.push(performance.now() - t0);
				for (const [, part, dur] of (res.headers.get("server-timing") ?? "").matchAll(/(\w+);dur=([\d.]+)/g)) {
					const list = sent.parts[part!] ?? [];
					list.push(Number(dur));
					sent.parts[part!] = list;
				}
				sent.changes += batch.length;
				return;
			}
			sent.errors.push(`${res.status} ${answer.slice(0, 200)}`);
		} catch (err) {
			sent.errors.push(String(err));
		}
		if (attempt === 20) throw new Error(`a batch refused 20 times: ${sent.errors.at(-1)}`);
		await sleep(100);
	}
}

/** Full batches back to back for `seconds`: the highest rate the site sustains. */
async function maxRun(site: string, primary: Primary, seconds: number) {
	const sent = newSent();
	const t0 = Date.now();
	while (Date.now() - t0 < seconds * 1000) {
		await send(
			site,
			Array.from({ length: BATCH }, () => primary.next()),
			sent,
		);
	}
	const elapsed = (Date.now() - t0) / 1000;
	return { ...sent, seconds: elapsed, changesPerSecond: sent.changes / elapsed };
}

/** Changes made at `rate` a second for `seconds`, sent as Debezium does: whatever waits, up to a batch, when the last batch was answered. */
async function lagRun(site: string, primary: Primary, rate: number, seconds: number, lags: number[]) {
	const sent = newSent();
	const queue: unknown[] = [];
	let made = 0;
	let maxBacklog = 0;
	const t0 = Date.now();
	const maker = setInterval(() => {
		const due = Math.min(rate * seconds, Math.floor(((Date.now() - t0) / 1000) * rate));
		for (; made < due; made++) queue.push(primary.next());
		maxBacklog = Math.max(maxBacklog, queue.length);
	}, 10);
	while (Date.now() - t0 < seconds * 1000 || queue.length > 0 || made < rate * seconds) {
		if (queue.length === 0) {
			await sleep(5);
			continue;
		}
		await send(site, queue.splice(0, BATCH), sent);
	}
	clearInterval(maker);
	const sentFor = (Date.now() - t0) / 1000;
	// Traders see the last batches' changes once their Accounts took them: wait, up to DRAIN_MS.
	const unseenCount = () => [...primary.unseen.values()].reduce((n, l) => n + l.length, 0);
	for (const end = Date.now() + DRAIN_MS; unseenCount() > 0 && Date.now() < end; ) await sleep(100);
	// What was never seen counts at what it waited so far: the p99 is never flattered.
	const now = Date.now();
	const unseen = unseenCount();
	for (const list of primary.unseen.values()) for (const u of list.splice(0)) lags.push(now - u.tsMs);
	return { ...sent, rate, seconds, sentFor, changesPerSecond: sent.changes / sentFor, maxBacklog, unseen };
}

export async function runReplication(stack: Stack) {
	const site = stack.url;
	const run = `R${Date.now().toString(36).toUpperCase().slice(-4)}`;
	const primary = new Primary(run);
	const traderIds = Array.from({ length: TRADERS }, (_, i) => primary.clientId(Math.floor((i * CLIENTS) / TRADERS)));
	primary.traderIds = new Set(traderIds);
	console.log(`replication: seeding ${CLIENTS} clients (${CLIENTS * POSITIONS_PER_CLIENT} positions, ${INSTRUMENTS} instruments) ...`);
	await seed(stack.databaseUrl, primary);
	console.log(`replication: signing in ${TRADERS} traders with live sockets ...`);
	const lags: number[] = [];
	const sockets = await pool(traderIds, 4, async (clientId, i) => {
		const cookie = await signIn(site, clientId, `10.5.${i >> 8}.${i & 255}`);
		await getJson(site, "/api/positions", cookie);
		return watch(site, cookie, primary, lags);
	});
	await statementLog(stack.databaseUrl, false);
	try {
		await maxRun(site, primary, 2); // warm-up: the isolate's first batches
		console.log(`replication: highest rate, full batches of ${BATCH} back to back for ${MAX_SECONDS} s ...`);
		const max = await maxRun(site, primary, MAX_SECONDS);
		await sleep(3000);
		for (const list of primary.unseen.values()) list.splice(0);
		lags.length = 0;
		console.log(`replication: ${LAG_RATE} changes/s for ${LAG_SECONDS} s, lag to the traders' screens ...`);
		const lag = { ...(await lagRun(site, primary, LAG_RATE, LAG_SECONDS, lags)), lags: [...lags] };
		// Diagnostic, when the steady rate was beyond the highest: the lag at half the highest rate,
		// where replication keeps up (what the lag is made of, without a backlog growing).
		let within: typeof lag | null = null;
		if (max.changesPerSecond < LAG_RATE) {
			const rate = Math.max(100, Math.round(max.changesPerSecond / 2 / 100) * 100);
			await sleep(3000);
			for (const list of primary.unseen.values()) list.splice(0);
			lags.length = 0;
			console.log(`replication (diagnostic): ${rate} changes/s for 20 s ...`);
			within = { ...(await lagRun(site, primary, rate, 20, lags)), lags: [...lags] };
		}
		return { max, lag, within };
	} finally {
		await statementLog(stack.databaseUrl, true);
		for (const ws of sockets) ws.close();
	}
}

export type ReplicationResults = Awaited<ReturnType<typeof runReplication>>;
