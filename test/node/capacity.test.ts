// The capacity model (bench/capacity.ts): demand follows the load and the configuration, and the
// traders it allows are set by the resource with the least headroom.
import { describe, expect, it } from "vitest";
import { capacity, DEFAULT_DEPLOYMENT, type MeasuredCost } from "../../bench/capacity.ts";
import type { PlatformCost } from "../../bench/platform-calls.ts";

const cost = (c: Partial<PlatformCost>): PlatformCost => ({
	inboundRequests: 0,
	doCalls: 0,
	failoverObjectCalls: 0,
	queueMessages: 0,
	orderQueueMessages: 0,
	recordQueueMessages: 0,
	consumerInvocations: 0,
	kvReads: 0,
	pgStatements: 0,
	pgStatementsAll: 0,
	omsRequests: 0,
	omsEventRequests: 0,
	...c,
});

const measured: MeasuredCost = {
	ordersPerTrader: 5,
	perTrader: cost({ inboundRequests: 8, doCalls: 16, orderQueueMessages: 5, recordQueueMessages: 3, pgStatementsAll: 8 }),
	perSquareOff: cost({ inboundRequests: 1, doCalls: 2, orderQueueMessages: 1, recordQueueMessages: 0.5, pgStatementsAll: 0.3 }),
};
const million = { traders: 1_000_000, windowSeconds: 300, ordersPerTrader: 5 };
/** One queue of each kind and the Failover object alone, as before sharding. */
const unsharded = { ...DEFAULT_DEPLOYMENT, orderQueueShards: 1, recordQueueShards: 1, failoverReadCopies: 1 };
const resource = (r: ReturnType<typeof capacity>, name: string) => {
	const found = r.resources.find((x) => x.resource.startsWith(name));
	if (!found) throw new Error(`no resource ${name}`);
	return found;
};

describe("capacity model", () => {
	it("a million traders' five orders in five minutes are 16,667 order messages a second: one queue runs out first", () => {
		const r = capacity(measured, million, unsharded);
		expect(resource(r, "orders queue").demand).toBeCloseTo(16_667, 0);
		expect(r.limitingResource).toMatch(/queue|failover/);
		expect(r.tradersIn5Min).toBeLessThan(1_000_000);
	});

	it("sharding a queue divides its demand per shard, and the traders allowed grow until another resource binds", () => {
		const one = capacity(measured, million, unsharded);
		const eight = capacity(measured, million, { ...unsharded, orderQueueShards: 8, recordQueueShards: 8, failoverReadCopies: 16 });
		expect(resource(eight, "orders queue").headroom).toBeCloseTo(resource(one, "orders queue").headroom * 8, 5);
		expect(eight.tradersIn5Min).toBeGreaterThan(one.tradersIn5Min);
		const smallest = Math.min(...eight.resources.filter((x) => x.resource !== "one trader's Account object").map((x) => x.headroom));
		expect(eight.minHeadroom).toBeLessThanOrEqual(smallest);
	});

	it("takes production's shards and read copies from wrangler.toml", () => {
		expect(DEFAULT_DEPLOYMENT.orderQueueShards).toBeGreaterThan(1);
		expect(DEFAULT_DEPLOYMENT.recordQueueShards).toBeGreaterThan(1);
		expect(DEFAULT_DEPLOYMENT.failoverReadCopies).toBeGreaterThan(1);
	});

	it("more orders per trader cost a single square-off's counts for each extra order", () => {
		const five = capacity(measured, million, DEFAULT_DEPLOYMENT);
		const ten = capacity(measured, { ...million, ordersPerTrader: 10 }, DEFAULT_DEPLOYMENT);
		// 5 + 5 x 1 order messages per trader: twice the demand.
		expect(resource(ten, "orders queue").demand).toBeCloseTo(resource(five, "orders queue").demand * 2, 5);
	});
});
