// The replication scenario's report: its table, goals, results.json block and BENCHMARKS.md section.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { writeResults, writeSection } from "../results.ts";
import { goalTable, ms, pct, spread } from "../stats.ts";
import {
	BATCH,
	CLIENTS,
	DRAIN_MS,
	INSTRUMENT_SHARE,
	INSTRUMENTS,
	LAG_RATE,
	POSITION_SHARE,
	POSITIONS_PER_CLIENT,
	type ReplicationResults,
	TRADERS,
} from "./replication.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** Prints the table; writes results.json's replication block and BENCHMARKS.md's replication section. */
export function reportReplication({ max, lag, within }: ReplicationResults, write: boolean) {
	const lagP99 = pct(lag.lags, 99);
	const goals = [
		[">= 10,000 changes/s sustained", `${max.changesPerSecond.toFixed(0)}/s`, max.changesPerSecond >= 10_000],
		[`lag p99 < 2 s at ${LAG_RATE.toLocaleString("en")} changes/s`, ms(lagP99), lagP99 < 2000 && lag.unseen === 0],
	] as const;
	const table = [
		"| measure | value |",
		"|---|---|",
		`| **highest sustained rate**: full batches of ${BATCH} back to back for ${max.seconds.toFixed(0)} s | **${max.changesPerSecond.toFixed(0)} changes/s** (${max.changes} changes, ${max.batches.length} batches, ${max.errors.length} refused and sent again) |`,
		`| time per batch at that rate: p50 / p95 / p99 | ${spread(max.batches)} |`,
		`| of which, inside the site (Server-Timing), p50 / p99 | ${Object.entries(max.parts)
			.map(([part, list]) => `${part} ${ms(pct(list, 50))} / ${ms(pct(list, 99))}`)
			.join("; ")} |`,
		`| lag run: changes made at ${LAG_RATE}/s for ${lag.seconds} s, sent as they waited (up to ${BATCH} a batch) | ${lag.changes} sent in ${lag.batches.length} batches over ${lag.sentFor.toFixed(1)} s (${lag.changesPerSecond.toFixed(0)}/s), most waiting at once ${lag.maxBacklog}, ${lag.errors.length} refused and sent again |`,
		`| time per batch in the lag run: p50 / p95 / p99 | ${spread(lag.batches)} |`,
		`| **lag, source.ts_ms to a trader's live socket showing it: p50 / p95 / p99** | ${spread(lag.lags)} (${lag.lags.length} changes of the traders' positions${lag.unseen ? `, ${lag.unseen} never seen within ${DRAIN_MS / 1000} s, counted at what they waited` : ""}) |`,
		...(within
			? [
					`| (diagnostic) lag at ${within.rate} changes/s for ${within.seconds} s, half the highest rate: p50 / p95 / p99 | ${spread(within.lags)} (${within.lags.length} changes; sent at ${within.changesPerSecond.toFixed(0)}/s, most waiting at once ${within.maxBacklog}, batches p50 / p99 ${ms(pct(within.batches, 50))} / ${ms(pct(within.batches, 99))}) |`,
				]
			: []),
	].join("\n");
	const goalsMet = goalTable(goals);
	const errors = [...max.errors, ...lag.errors];
	console.log(`\n${table}\n\n${goalsMet}\n`);
	if (errors.length) console.log(`refused batches (first 3):\n${errors.slice(0, 3).join("\n")}`);
	if (!write) return;
	writeResults({ replication: { changesPerSecond: Math.round(max.changesPerSecond), lagP99Seconds: Number((lagP99 / 1000).toFixed(2)) } });
	const notes = readFileSync(`${root}/bench/replication-notes.md`, "utf8");
	writeSection(
		"replication",
		`## 5. Replication

\`npm run bench\` (alone: \`BENCH_ONLY=replication npm run bench\`), \`bench/scenarios/replication.ts\`. A simulated
primary changes ${CLIENTS} clients' ${CLIENTS * POSITIONS_PER_CLIENT} positions (${(POSITION_SHARE * 100).toFixed(0)}% of changes), their pending orders (placed, filled in part,
gone: ${((1 - POSITION_SHARE - INSTRUMENT_SHARE) * 100).toFixed(0)}%) and ${INSTRUMENTS} instruments' bands and freeze quantities (${(INSTRUMENT_SHARE * 100).toFixed(1)}%), no prices; batches
go to \`POST /sync/changes\` one at a time, as Debezium Server sends them. ${TRADERS} of the clients are signed in with
the live socket open; their screens are where the lag is measured.

${table}

${goalsMet}
${
	errors.length
		? `\nRefused batches (first 3):\n\n${errors
				.slice(0, 3)
				.map((e) => `- ${e}`)
				.join("\n")}\n`
		: ""
}
${notes}`,
	);
}
