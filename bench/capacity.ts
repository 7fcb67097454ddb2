// The capacity model (docs/capacity.md): from what one trader's exit measurably costs the
// platform (bench/platform-calls.ts, written to bench/results.json by `npm run bench`) and the
// platform's published limits, the rate each resource must take for N traders exiting K orders
// each within S seconds, its headroom, and the most traders the first resource to run out allows.
//   npm run capacity -- --traders 1000000 --window 300 --orders-per-trader 5
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { readWorkerConfig } from "../scripts/wrangler-config.ts";
import type { PlatformCost } from "./platform-calls.ts";

/** Published limits (docs/capacity.md cites each). */
export const LIMITS = {
	queueMessagesPerSecond: 5000,
	queueConcurrentConsumers: 250,
	durableObjectRequestsPerSecond: 1000,
	subrequestsPerInvocation: 1000,
	neonClientConnections: 10_000,
	/** Neon's PgBouncer pool: 90% of max_connections, which follows the compute size. */
	neonPoolSize: (computeUnits: number) => Math.floor(0.9 * Math.min(4000, Math.round(419.5 * computeUnits))),
} as const;

/** What the deployment is configured with, and the few figures the local stack cannot measure. */
export interface Deployment {
	orderQueueShards: number;
	recordQueueShards: number;
	/** Copies of the failover state that consistent reads are spread over (the Failover object and its replicas). */
	failoverReadCopies: number;
	/**
	 * Inbound requests a second one isolate serves (the platform does not publish how it spreads
	 * load; fewer per isolate is the cautious side: more isolates, each asking for the failover state).
	 */
	requestsPerIsolate: number;
	/** Messages a consumer invocation takes (max_batch_size is 100; a smaller figure is the cautious one). */
	messagesPerInvocation: number;
	/** Wall time of one consumer invocation (relay: one OMS round trip, messages in parallel). */
	invocationSeconds: number;
	/** How long a Postgres connection of a first positions load or a records batch stays open. */
	connectionSeconds: number;
	/** How long one statement holds a pooled server connection. */
	statementSeconds: number;
	neonComputeUnits: number;
	/** Seconds over which one trader's own calls to its Account are spread (1: all in one second). */
	traderSeconds: number;
}

/** Shards and read copies as wrangler.toml configures production. */
function productionShape(): Pick<Deployment, "orderQueueShards" | "recordQueueShards" | "failoverReadCopies"> {
	const c = readWorkerConfig("production");
	const bindings = (c.queues.producers ?? []) as { binding?: string }[];
	const count = (kind: string) => bindings.filter((p) => new RegExp(`^${kind}(_\\d+)?$`).test(p.binding ?? "")).length;
	return {
		orderQueueShards: count("ORDERS"),
		recordQueueShards: count("RECORDS"),
		failoverReadCopies: Number(c.vars.FAILOVER_READ_COPIES) || 1,
	};
}

export const DEFAULT_DEPLOYMENT: Deployment = {
	...productionShape(),
	requestsPerIsolate: 10,
	messagesPerInvocation: 10,
	invocationSeconds: 0.5,
	connectionSeconds: 0.1,
	statementSeconds: 0.005,
	neonComputeUnits: 4,
	traderSeconds: 1,
};

/** Measured costs: one trader's whole exit (ordersPerTrader orders) and one single-order square-off. */
export interface MeasuredCost {
	perTrader: PlatformCost;
	ordersPerTrader: number;
	perSquareOff: PlatformCost;
}

export interface Resource {
	resource: string;
	/** What the load asks of it, in its unit. */
	demand: number;
	capacity: number;
	unit: string;
	headroom: number;
}

/** One trader's cost with k orders: the measured exit, plus (or minus) a single square-off's cost per order of difference. */
function traderCost(m: MeasuredCost, k: number): PlatformCost {
	const extra = k - m.ordersPerTrader;
	return Object.fromEntries(
		Object.entries(m.perTrader).map(([key, v]) => [key, Math.max(0, v + extra * m.perSquareOff[key as keyof PlatformCost])]),
	) as unknown as PlatformCost;
}

export function capacity(
	m: MeasuredCost,
	load: { traders: number; windowSeconds: number; ordersPerTrader: number },
	d = DEFAULT_DEPLOYMENT,
) {
	const cost = traderCost(m, load.ordersPerTrader);
	const perSecond = (x: number) => (load.traders * x) / load.windowSeconds;
	const orderMessages = perSecond(cost.orderQueueMessages) / d.orderQueueShards;
	const recordMessages = perSecond(cost.recordQueueMessages) / d.recordQueueShards;
	const relaySubrequests = d.messagesPerInvocation * ((m.perSquareOff.doCalls - 1) / Math.max(1, m.perSquareOff.orderQueueMessages) + 1);
	const recordsInvocations = perSecond(cost.recordQueueMessages) / d.messagesPerInvocation;
	const resource = (name: string, demand: number, cap: number, unit: string): Resource => ({
		resource: name,
		demand,
		capacity: cap,
		unit,
		headroom: demand > 0 ? cap / demand : Number.POSITIVE_INFINITY,
	});
	const resources = [
		resource("orders queue, per shard", orderMessages, LIMITS.queueMessagesPerSecond, "messages/s"),
		resource("records queue, per shard", recordMessages, LIMITS.queueMessagesPerSecond, "messages/s"),
		resource(
			"orders consumers, per shard",
			(orderMessages / d.messagesPerInvocation) * d.invocationSeconds,
			LIMITS.queueConcurrentConsumers,
			"concurrent invocations",
		),
		resource(
			"records consumers, per shard",
			(recordMessages / d.messagesPerInvocation) * d.invocationSeconds,
			LIMITS.queueConcurrentConsumers,
			"concurrent invocations",
		),
		resource(
			"one trader's Account object",
			(cost.doCalls - cost.failoverObjectCalls) / d.traderSeconds,
			LIMITS.durableObjectRequestsPerSecond,
			"requests/s",
		),
		// A square-off reads the failover state from the Durable Objects; an isolate reuses an
		// answer for a second, so the reads are at most one per isolate a second.
		resource(
			"failover state, each read copy",
			Math.min(perSecond(1), perSecond(cost.inboundRequests) / d.requestsPerIsolate) / d.failoverReadCopies,
			LIMITS.durableObjectRequestsPerSecond,
			"requests/s",
		),
		resource("subrequests of one relay invocation", relaySubrequests, LIMITS.subrequestsPerInvocation, "subrequests"),
		resource(
			"Neon pooler, client connections",
			(perSecond(1) + recordsInvocations) * d.connectionSeconds,
			LIMITS.neonClientConnections,
			"open connections",
		),
		resource(
			`Neon pool (${d.neonComputeUnits} CU compute)`,
			perSecond(cost.pgStatementsAll) * d.statementSeconds,
			LIMITS.neonPoolSize(d.neonComputeUnits),
			"busy server connections",
		),
	];
	// Demand grows with the traders; a resource's limit on them is traders x its headroom (the
	// per-invocation subrequests do not grow with load, so they cap nothing).
	const scaling = resources.filter(
		(r) => r.resource !== "subrequests of one relay invocation" && r.resource !== "one trader's Account object",
	);
	const limiting = scaling.reduce((a, b) => (b.headroom < a.headroom ? b : a));
	return {
		load,
		deployment: d,
		resources,
		tradersIn5Min: Math.floor(load.traders * limiting.headroom * (300 / load.windowSeconds)),
		limitingResource: limiting.resource,
		minHeadroom: Math.min(...resources.map((r) => r.headroom)),
	};
}

export type CapacityReport = ReturnType<typeof capacity>;

export function capacityTable(r: CapacityReport): string {
	const n = (x: number) => (x >= 100 ? Math.round(x).toLocaleString("en-US") : x.toFixed(x >= 10 ? 1 : 2));
	return [
		"| resource | demand | limit | headroom |",
		"|---|---|---|---|",
		...r.resources.map(
			(x) =>
				`| ${x.resource} | ${n(x.demand)} ${x.unit} | ${n(x.capacity)} | ${Number.isFinite(x.headroom) ? `${n(x.headroom)}x` : "-"}${x.headroom < 2 ? " **(under 2x)**" : ""} |`,
		),
	].join("\n");
}

const USAGE = `npm run capacity -- [--traders N] [--window S] [--orders-per-trader K] [--order-shards Q] [--record-shards Q] [--read-copies R]
Reads the measured costs from bench/results.json (written by npm run bench) and prints each
resource's demand, limit and headroom for N traders (1,000,000) exiting K orders (5) within S
seconds (300), and how many traders the first resource to run out allows in five minutes.`;

async function main() {
	const { values } = parseArgs({
		options: {
			traders: { type: "string", default: "1000000" },
			window: { type: "string", default: "300" },
			"orders-per-trader": { type: "string", default: "5" },
			"order-shards": { type: "string" },
			"record-shards": { type: "string" },
			"read-copies": { type: "string" },
			help: { type: "boolean", short: "h" },
		},
	});
	if (values.help) return console.log(USAGE);
	const file = fileURLToPath(new URL("./results.json", import.meta.url));
	if (!existsSync(file)) throw new Error("no bench/results.json: run npm run bench first");
	const results = JSON.parse(readFileSync(file, "utf8")) as { capacity?: { measured?: MeasuredCost; deployment?: Deployment } };
	const measured = results.capacity?.measured;
	if (!measured) throw new Error("bench/results.json has no measured costs: run npm run bench first");
	const base = { ...DEFAULT_DEPLOYMENT, ...results.capacity?.deployment };
	const d: Deployment = {
		...base,
		orderQueueShards: Number(values["order-shards"] ?? base.orderQueueShards),
		recordQueueShards: Number(values["record-shards"] ?? base.recordQueueShards),
		failoverReadCopies: Number(values["read-copies"] ?? base.failoverReadCopies),
	};
	const report = capacity(
		measured,
		{ traders: Number(values.traders), windowSeconds: Number(values.window), ordersPerTrader: Number(values["orders-per-trader"]) },
		d,
	);
	console.log(capacityTable(report));
	console.log(
		`\n${report.tradersIn5Min.toLocaleString("en-US")} traders in five minutes; the first to run out: ${report.limitingResource}; smallest headroom at this load ${report.minHeadroom.toFixed(2)}x`,
	);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
