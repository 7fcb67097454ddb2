// `npm run reconcile -- <exchange-trades.jsonl> [--since <ISO time>]`: compares the backup's
// orders and fills in Postgres with the exchange's (or OMS's) trade records, prints every
// mismatch, and exits 1 if there is any (2 on bad input). The comparison is
// src/replication/reconcile.ts; this is only the file and database plumbing.
// DATABASE_URL defaults to the local `npm start` database.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import pg from "pg";
import { BACKUP_ORDERS_SQL, type BackupOrder, parseTrades, reconcile } from "../src/replication/reconcile.ts";

const { values, positionals } = parseArgs({ allowPositionals: true, options: { since: { type: "string" } } });
const file = positionals[0];
if (!file) {
	console.error("usage: npm run reconcile -- <exchange-trades.jsonl> [--since 2026-11-27T00:00:00Z]");
	process.exit(2);
}
const { trades, errors } = parseTrades(readFileSync(file, "utf8"));
if (errors.length > 0) {
	for (const e of errors) console.error(`${file} ${e}`);
	process.exit(2);
}
// By default: backup orders from the start (UTC) of the day of the file's first trade.
const firstTrade = trades.map((t) => t.ts).sort()[0];
const since = values.since ?? (firstTrade ? `${new Date(firstTrade).toISOString().slice(0, 10)}T00:00:00Z` : new Date().toISOString());
if (Number.isNaN(Date.parse(since))) {
	console.error(`--since ${since} is not a time`);
	process.exit(2);
}

const client = new pg.Client({
	connectionString: process.env.DATABASE_URL ?? `postgres://postgres:postgres@127.0.0.1:${process.env.PG_PORT ?? 54329}/lifeboat`,
});
await client.connect();
let backup: BackupOrder[];
try {
	backup = (await client.query<BackupOrder>(BACKUP_ORDERS_SQL, [since])).rows;
} finally {
	await client.end();
}

const mismatches = reconcile(backup, trades);
console.log(`${backup.length} backup orders since ${since}, ${trades.length} trades: ${mismatches.length} mismatch(es)`);
for (const m of mismatches) console.log(`${m.kind}\t${m.orderId}\t${m.detail}`);
process.exit(mismatches.length > 0 ? 1 : 0);
