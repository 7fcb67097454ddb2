// Which queue shard a client's messages take (src/queue-shards.ts).
import { describe, expect, it } from "vitest";
import { ordersQueue, recordsQueue, shardCounts, shardOf } from "../src/queue-shards";

/** Producer bindings as the runtime gives them: only `send` matters here. */
const bound = (names: string[]) => Object.fromEntries(names.map((n) => [n, { name: n }])) as unknown as Env;

describe("queue shards", () => {
	it("spreads clients evenly and keeps each on one shard", () => {
		const counts = new Array<number>(8).fill(0);
		for (let i = 0; i < 16_000; i++) {
			const s = shardOf(`C${100000 + i}`, 8);
			counts[s] = (counts[s] ?? 0) + 1;
		}
		for (const n of counts) expect(Math.abs(n - 2000)).toBeLessThan(2000 * 0.1);
		expect(shardOf("C100042", 8)).toBe(shardOf("C100042", 8));
	});

	it("counts the shards by their bindings and picks the client's, or the first for no client", () => {
		const env = bound(["ORDERS", "ORDERS_1", "ORDERS_2", "RECORDS", "RECORDS_1", "ORDERS_4"]);
		expect(shardCounts(env)).toEqual({ orders: 3, records: 2 });
		const name = (q: unknown) => (q as { name: string }).name;
		expect(name(ordersQueue(env, "C1"))).toBe(["ORDERS", "ORDERS_1", "ORDERS_2"][shardOf("C1", 3)]);
		expect(name(recordsQueue(env, "C1"))).toBe(["RECORDS", "RECORDS_1"][shardOf("C1", 2)]);
		expect(name(recordsQueue(env, null))).toBe("RECORDS");
		expect(() => ordersQueue(bound([]), "C1")).toThrow(/no queue/);
	});
});
