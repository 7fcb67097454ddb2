// Throughput of POST /sync/changes against a running Lifeboat (`npm start`): posts BATCHES
// batches of SIZE position upserts (spread over 50 clients) and prints ms per batch and events/s.
// Usage: SITE=http://127.0.0.1:8787 BATCHES=10 SIZE=1000 node bench/sync-changes.ts
const site = process.env.SITE ?? "http://127.0.0.1:8787";
const token = process.env.SYNC_TOKEN ?? "dev-sync-token";
const batches = Number(process.env.BATCHES ?? 10);
const size = Number(process.env.SIZE ?? 1000);
const run = Date.now().toString(36);
let lsn = Date.now() * 1000;

const batch = () =>
	Array.from({ length: size }, (_, i) => ({
		op: "u",
		before: null,
		after: {
			position_id: `BENCH-${run}-${i % 500}`,
			client_code: `BENCH-${run}-C${i % 50}`,
			scrip_id: "BENCH-SCRIP",
			product_type: "MIS",
			net_qty: i,
			avg_price: "100.00",
		},
		source: { name: "bench", schema: "primary", table: "net_positions", lsn: ++lsn, ts_ms: Date.now() },
	}));

const times: number[] = [];
for (let b = 0; b < batches; b++) {
	const body = JSON.stringify(batch());
	const t0 = performance.now();
	const res = await fetch(`${site}/sync/changes`, {
		method: "POST",
		headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
		body,
	});
	const answer = await res.text();
	times.push(performance.now() - t0);
	if (!res.ok) throw new Error(`batch ${b}: ${res.status} ${answer}`);
}
times.sort((a, b) => a - b);
const total = times.reduce((a, b) => a + b, 0);
console.log(
	`${batches} batches x ${size} events: median ${times[Math.floor(times.length / 2)]?.toFixed(0)} ms/batch, ` +
		`max ${times.at(-1)?.toFixed(0)} ms, ${((batches * size) / (total / 1000)).toFixed(0)} events/s`,
);
