// The bench's report: the tables (ceiling and accept, surge, Postgres on the hot path, goals)
// printed, and with the prose around them written to BENCHMARKS.md (bench/NOTES.md appended).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { CLIENTS, CONNECTIONS, EVENT_BATCH_MS, SECONDS, TRADERS, WRITE_REPORT } from "./config.ts";
import type { LoadResult } from "./load.ts";
import type { AcceptResults } from "./scenarios/accept.ts";
import type { SurgeResults, SurgeRun } from "./scenarios/surge.ts";
import { capacity, capacityTable, DEFAULT_DEPLOYMENT } from "./capacity.ts";
import type { PlatformCost } from "./platform-calls.ts";
import { BENCHMARKS_FILE, keptSections, writeResults } from "./results.ts";
import { SURGE_POSITIONS } from "./scenarios/surge.ts";
import { goalTable, ms, pct, spread } from "./stats.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

export interface BenchResults {
	/** A Worker with no code of ours, same runtime and flags: the yardstick for every ratio. */
	bare: LoadResult;
	/** The bare Worker with the assets layer in front and a log line a request, as every request to the site has. */
	bareShaped: LoadResult;
	ceiling: LoadResult;
	/** The ceiling again after the accept runs: it drifts by up to a third between runs, so the ratios use the mean of both. */
	ceilingAfter: LoadResult;
	health: LoadResult;
	accept: AcceptResults;
	surge: SurgeResults;
}

/** A table row for a load run, with its share of the ceiling. */
const loadRow = (label: string, r: LoadResult, bareRps: number, expected = "") =>
	`| ${label} | ${r.total} | ${r.rps.toFixed(0)} (${((r.rps / bareRps) * 100).toFixed(0)}% of bare) | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${r.errors} / ${r.non2xx}${expected} |`;
/** The row of a run that explains another. */
const diagnosticRow = (label: string, r: LoadResult, bareRps: number, expected = "") =>
	loadRow(`(diagnostic) ${label}`, r, bareRps, expected);

function machine() {
	const cpu = os.cpus()[0]?.model ?? "unknown CPU";
	const workerd = JSON.parse(readFileSync(`${root}/node_modules/workerd/package.json`, "utf8")).version as string;
	const wrangler = JSON.parse(readFileSync(`${root}/node_modules/wrangler/package.json`, "utf8")).version as string;
	return `${os.availableParallelism()} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}, workerd ${workerd} (wrangler ${wrangler} dev), ${new Date().toISOString().slice(0, 10)}`;
}

/** Prints the tables and (unless BENCH_WRITE=0) writes BENCHMARKS.md. */
export function report({ bare, bareShaped, ceiling, ceilingAfter, health, accept: a, surge: s }: BenchResults) {
	const accept = a.batched;
	const perSquareOff = a.perSquareOff.pgStatements;
	const ratio = accept.rps / bare.rps;
	const relayP99 = pct(s.batched.relay, 99);
	const relayP99PerEvent = pct(s.perEvent.relay, 99);
	const ordersPerTrader = s.batched.done[0]?.orders ?? SURGE_POSITIONS.length;
	const measured = { perTrader: s.perTrader, ordersPerTrader, perSquareOff: a.perSquareOff };
	const million = capacity(measured, { traders: 1_000_000, windowSeconds: 300, ordersPerTrader: 5 }, DEFAULT_DEPLOYMENT);
	const goals = [
		["accept throughput >= 50% of the bare Worker", `${(ratio * 100).toFixed(0)}%`, ratio >= 0.5],
		[
			"zero errors (accept and surge)",
			`${accept.errors + accept.non2xx} accept, ${s.errors.length} surge`,
			accept.errors + accept.non2xx + s.errors.length === 0,
		],
		["accept-to-OMS p99 < 1 s (surge)", ms(relayP99), relayP99 < 1000],
		["accept-to-OMS p99 < 1 s (surge, OMS posting one event per request)", ms(relayP99PerEvent), relayP99PerEvent < 1000],
		["0 Postgres statements per square-off", perSquareOff.toFixed(2), perSquareOff === 0],
		[
			"a million traders in five minutes, every resource at least 2x",
			`${million.tradersIn5Min.toLocaleString("en-US")} (${million.limitingResource} first; smallest headroom ${million.minHeadroom.toFixed(1)}x)`,
			million.tradersIn5Min >= 1_000_000 && million.minHeadroom >= 2,
		],
	] as const;

	const table = [
		"| run | requests | req/s | p50 | p95 | p99 | errors / non-2xx |",
		"|---|---|---|---|---|---|---|",
		`| 0. bare Worker: no code of ours, same runtime and flags (ratios below are to it) | ${bare.total} | ${bare.rps.toFixed(0)} | ${ms(bare.p50)} | ${ms(bare.p95)} | ${ms(bare.p99)} | ${bare.errors} / ${bare.non2xx} (all 404, expected) |`,
		diagnosticRow(
			"the bare Worker shaped like the site: the assets layer in front (`run_worker_first`) and one JSON log line a request, no other code",
			bareShaped,
			bare.rps,
			" (all 404, expected)",
		),
		...[ceiling, ceilingAfter].map(
			(c, i) =>
				`| 1. ceiling: \`GET /api/__ceiling\` (404, no I/O), ${i === 0 ? "before" : "after"} the accept runs | ${c.total} | ${c.rps.toFixed(0)} (${((c.rps / bare.rps) * 100).toFixed(0)}% of bare) | ${ms(c.p50)} | ${ms(c.p95)} | ${ms(c.p99)} | ${c.errors} / ${c.non2xx} (all 404, expected) |`,
		),
		`| (reference) \`GET /ops/health\` (1 DO call) | ${health.total} | ${health.rps.toFixed(0)} | ${ms(health.p50)} | ${ms(health.p95)} | ${ms(health.p99)} | ${health.errors} / ${health.non2xx} |`,
		diagnosticRow("accept path alone: the same requests refused 422 by the Account, no pipeline", a.path, bare.rps, " (all 422, expected)"),
		loadRow(
			`2. accept: \`POST /api/square-offs\` over ${CLIENTS} clients, OMS batching its events every ${EVENT_BATCH_MS} ms`,
			accept,
			bare.rps,
		),
		diagnosticRow("accept, OMS posting one event per request (ACK and FILL: two inbound requests per order)", a.perEvent, bare.rps),
		diagnosticRow("accept, OMS posting no events back (relay only)", a.silent, bare.rps),
	].join("\n");
	const surgeColumn = (r: SurgeRun) => [
		`${r.done.length} completed, ${r.errors.length} errors`,
		`${(r.done.length / r.seconds).toFixed(1)} (${r.seconds.toFixed(1)} s wall)`,
		`${r.done[0]?.orders ?? "-"}`,
		spread(r.done.map((t) => t.accepted)),
		spread(r.done.map((t) => t.total)),
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
	const [batched, perEvent] = [surgeColumn(s.batched), surgeColumn(s.perEvent)];
	const surgeTable = [
		`| measure | 3. surge, OMS batching its events every ${EVENT_BATCH_MS} ms | (diagnostic) OMS posting one event per request |`,
		"|---|---|---|",
		...surgeRows.map((row, i) => `| ${row} | ${batched[i]} | ${perEvent[i]} |`),
	].join("\n");
	const costRows: [string, keyof PlatformCost][] = [
		["inbound requests (the OMS's event posts among them)", "inboundRequests"],
		["Durable Object calls", "doCalls"],
		["of which to the Failover object", "failoverObjectCalls"],
		["queue messages: orders", "orderQueueMessages"],
		["queue messages: records", "recordQueueMessages"],
		["queue consumer invocations", "consumerInvocations"],
		["KV reads", "kvReads"],
		["Postgres statements on the request's path (`account:<clientId>`)", "pgStatements"],
		["Postgres statements, all (records consumer, first loads)", "pgStatementsAll"],
		["OMS requests (orders, cancels, lookups)", "omsRequests"],
		["OMS event posts back to the site", "omsEventRequests"],
	];
	const costTable = [
		`| count | per square-off of one order (accept run, ${accept.drain.orders} orders) | per trader: sign-in, positions, live socket, exit all of ${ordersPerTrader} orders (surge, ${s.batched.done.length} traders) |`,
		"|---|---|---|",
		...costRows.map(([label, k]) => `| ${label} | ${a.perSquareOff[k].toFixed(2)} | ${s.perTrader[k].toFixed(2)} |`),
	].join("\n");
	const pgTable = [
		"| measure | value |",
		"|---|---|",
		`| statements by \`account:<clientId>\` during the accept run | **${perSquareOff.toFixed(2)} per square-off** |`,
		`| statements of the ${CLIENTS} first loads (before the run) | ${a.statementsBefore} (${(a.statementsBefore / CLIENTS).toFixed(1)} per client, once) |`,
		`| accept run's orders at the OMS (answered in the run: ${accept.ok}; also accepted: those in flight when it stopped) | ${accept.drain.orders} within ${accept.drain.seconds.toFixed(0)} s of its end; accept-to-OMS p50 / p99 under that saturating load: ${ms(pct(a.relay, 50))} / ${ms(pct(a.relay, 99))} |`,
	].join("\n");
	const goalsMet = goalTable(goals);

	const markdown = `# Benchmarks

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

## 4. What an exit costs the platform

Counted in the running stack, not estimated (\`bench/platform-calls.ts\`): the site's own counters
(\`COUNT_PLATFORM_CALLS\`, one isolate locally), the OMS simulator's request counts and Postgres's
statement log, before and after each run.

${costTable}

${pgTable}

## 5. Capacity: a million traders, five orders each, in five minutes

The model (\`bench/capacity.ts\`, \`docs/capacity.md\`; \`npm run capacity\` for other loads) fed with
the counts above and the deployment's configuration (${million.deployment.orderQueueShards} orders and ${million.deployment.recordQueueShards} records queue shards, ${million.deployment.failoverReadCopies} failover read copies):

${capacityTable(million)}

**${million.tradersIn5Min.toLocaleString("en-US")} traders in five minutes**; the first resource to run out: ${million.limitingResource}.

## Goals

${goalsMet}
${
	s.errors.length
		? `\nSurge errors (first 5):\n\n${s.errors
				.slice(0, 5)
				.map((e) => `- ${e}`)
				.join("\n")}\n`
		: ""
}`;
	console.log(`\n${table}\n\n${surgeTable}\n\n${costTable}\n\n${pgTable}\n\n${capacityTable(million)}\n\n${goalsMet}\n`);
	if (WRITE_REPORT) {
		const round = (x: number) => Math.round(x * 100) / 100;
		writeResults({
			ceiling: { bareWorkerRps: round(bare.rps), appRps: round((ceiling.rps + ceilingAfter.rps) / 2) },
			accept: { rps: round(accept.rps), ratioToBare: round(ratio) },
			surge: {
				traders: TRADERS,
				errors: s.errors.length + accept.errors + accept.non2xx,
				acceptToOmsP99Ms: relayP99,
				acceptToOmsP99MsPerEventOms: relayP99PerEvent,
			},
			perSquareOff: {
				inboundRequests: round(a.perSquareOff.inboundRequests),
				doCalls: round(a.perSquareOff.doCalls),
				queueMessages: round(a.perSquareOff.queueMessages),
				kvReads: round(a.perSquareOff.kvReads),
				failoverObjectCalls: round(a.perSquareOff.failoverObjectCalls),
				pgStatements: round(a.perSquareOff.pgStatements),
				omsRequests: round(a.perSquareOff.omsRequests),
			},
			capacity: {
				tradersIn5Min: million.tradersIn5Min,
				limitingResource: million.limitingResource,
				minHeadroom: round(million.minHeadroom),
				measured,
				deployment: million.deployment,
			},
		});
		const notesFile = `${root}/bench/NOTES.md`;
		const notes = existsSync(notesFile) ? `\n${readFileSync(notesFile, "utf8")}` : "";
		// Sections other scenarios write (bench/results.ts) stay, between the tables and the notes.
		const sections = keptSections();
		writeFileSync(BENCHMARKS_FILE, markdown + (sections ? `\n${sections}` : "") + notes);
		console.log("wrote BENCHMARKS.md");
	}
}
