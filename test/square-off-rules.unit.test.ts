import { describe, expect, it } from "vitest";
import { checkExit, exitAllOrder, exitSide, fromPaise, slice, sliceSize, toPaise, tradingDayStart } from "../src/trading/rules";
import { retryDelaySeconds } from "../src/relay/backoff";

const nifty = { segment: "OPT" as const, lotSize: 75, tickPaise: 5, bandLowPaise: 100, bandHighPaise: 100_000 };

describe("slicing at the freeze quantity", () => {
	it("exactly the freeze quantity is one order", () => expect(slice(1800, 75, 1800)).toEqual([1800]));
	it("one lot above the freeze quantity is two orders, the last one lot", () => expect(slice(1875, 75, 1800)).toEqual([1800, 75]));
	it("the last lot alone is one order of one lot", () => expect(slice(75, 75, 1800)).toEqual([75]));
	it("a freeze that is not a whole number of lots rounds the slice down to whole lots", () => {
		expect(sliceSize(30, 900)).toBe(900);
		expect(sliceSize(35, 900)).toBe(875);
		expect(slice(1750, 35, 900)).toEqual([875, 875]);
	});
	it("equity has no freeze: one order whatever the size", () => expect(slice(123_456, 1, null)).toEqual([123_456]));
	it("2250 short NIFTY options exit as 1800 + 450", () => expect(slice(2250, 75, 1800)).toEqual([1800, 450]));
});

describe("exit checks", () => {
	it("the side follows the sign of the position", () => {
		expect(exitSide(75)).toBe("SELL");
		expect(exitSide(-75)).toBe("BUY");
	});
	it("quantity defaults to all that is available; exactly available passes, one lot more is refused", () => {
		expect(checkExit(nifty, 150, { orderType: "MARKET" })).toEqual({ ok: true, quantity: 150 });
		expect(checkExit(nifty, 150, { quantity: 150, orderType: "MARKET" })).toEqual({ ok: true, quantity: 150 });
		expect(checkExit(nifty, 150, { quantity: 225, orderType: "MARKET" })).toMatchObject({
			ok: false,
			refusal: { code: "QTY_EXCEEDS_POSITION" },
		});
	});
	it("nothing available is NOTHING_TO_EXIT", () =>
		expect(checkExit(nifty, 0, { orderType: "MARKET" })).toMatchObject({ ok: false, refusal: { code: "NOTHING_TO_EXIT" } }));
	it("a quantity off the lot size is NOT_LOT_MULTIPLE", () =>
		expect(checkExit(nifty, 150, { quantity: 100, orderType: "MARKET" })).toMatchObject({
			ok: false,
			refusal: { code: "NOT_LOT_MULTIPLE" },
		}));
	it("a LIMIT price must be on the tick and inside the band, edges included", () => {
		expect(checkExit(nifty, 75, { orderType: "LIMIT", pricePaise: 1003 })).toMatchObject({ refusal: { code: "PRICE_NOT_ON_TICK" } });
		expect(checkExit(nifty, 75, { orderType: "LIMIT", pricePaise: 95 })).toMatchObject({ refusal: { code: "PRICE_OUTSIDE_BAND" } });
		expect(checkExit(nifty, 75, { orderType: "LIMIT", pricePaise: 100_005 })).toMatchObject({ refusal: { code: "PRICE_OUTSIDE_BAND" } });
		expect(checkExit(nifty, 75, { orderType: "LIMIT", pricePaise: 100 })).toMatchObject({ ok: true });
		expect(checkExit(nifty, 75, { orderType: "LIMIT", pricePaise: 100_000 })).toMatchObject({ ok: true });
	});
});

describe("prices in paise", () => {
	it("parses at most two decimals exactly", () => {
		expect(toPaise("0.15")).toBe(15);
		expect(toPaise(0.15)).toBe(15);
		expect(toPaise("123.4")).toBe(12340);
		expect(toPaise("1.005")).toBeNull();
		expect(toPaise("-1")).toBeNull();
		expect(toPaise("0")).toBeNull();
		expect(fromPaise(12305)).toBe("123.05");
	});
});

describe("exit-all ordering", () => {
	it("closes every short leg before any long leg", () => {
		const legs = [
			{ id: "long-hedge", netQty: 75, underlying: "NIFTY" },
			{ id: "bank-short", netQty: -30, underlying: "BANKNIFTY" },
			{ id: "short", netQty: -150, underlying: "NIFTY" },
			{ id: "eq", netQty: 10, underlying: "INFY" },
		];
		const order = exitAllOrder(legs).map((l) => l.id);
		expect(order.slice(0, 2).sort()).toEqual(["bank-short", "short"]);
		expect(order.slice(2).sort()).toEqual(["eq", "long-hedge"]);
	});
});

describe("relay backoff", () => {
	it("grows exponentially up to the cap, with full jitter", () => {
		expect(retryDelaySeconds(1, 2, 60, () => 1)).toBe(2);
		expect(retryDelaySeconds(3, 2, 60, () => 1)).toBe(8);
		expect(retryDelaySeconds(10, 2, 60, () => 1)).toBe(60);
		expect(retryDelaySeconds(10, 2, 60, () => 0)).toBe(0);
	});
});

describe("the trading day", () => {
	it("starts at midnight IST (18:30 UTC the day before), whatever the UTC date", () => {
		expect(tradingDayStart(Date.parse("2026-12-03T10:00:00Z"))).toBe("2026-12-02T18:30:00.000Z");
		expect(tradingDayStart(Date.parse("2026-12-03T18:29:59.999Z"))).toBe("2026-12-02T18:30:00.000Z");
		expect(tradingDayStart(Date.parse("2026-12-03T18:30:00Z"))).toBe("2026-12-03T18:30:00.000Z");
		expect(tradingDayStart(Date.parse("2026-12-03T23:00:00Z"))).toBe("2026-12-03T18:30:00.000Z");
	});
});
