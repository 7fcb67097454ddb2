import { describe, expect, it } from "vitest";
import { seesAllOf } from "../src/replication/client-rows";

describe("seesAllOf (which of two reads is newer, from their pg_snapshot text)", () => {
	it("a snapshot sees all an earlier one saw: a higher xmax, or the same with fewer in progress", () => {
		expect(seesAllOf("100:120:", "100:110:")).toBe(true);
		expect(seesAllOf("100:110:", "100:110:105")).toBe(true);
		expect(seesAllOf("100:110:105", "100:110:105")).toBe(true);
		// Still in progress later, but already in progress (unseen) before too.
		expect(seesAllOf("100:130:105,125", "100:110:105")).toBe(true);
	});

	it("an earlier snapshot does not see all a later one saw", () => {
		expect(seesAllOf("100:110:", "100:120:")).toBe(false);
		expect(seesAllOf("100:110:105", "100:110:")).toBe(false);
		// 105 committed before the other read, still in progress in this one.
		expect(seesAllOf("100:130:105", "100:110:")).toBe(false);
	});

	it("reads 64-bit transaction ids", () => {
		// As JavaScript numbers these two xmax values are equal.
		expect(seesAllOf("1:9007199254740993:", "1:9007199254740992:")).toBe(true);
		expect(seesAllOf("1:9007199254740992:", "1:9007199254740993:")).toBe(false);
	});
});
