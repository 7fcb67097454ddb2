import { describe, expect, it } from "vitest";
import { addressKey } from "../src/auth/address";

describe("addressKey", () => {
	it("keeps an IPv4 address as it is", () => {
		expect(addressKey("203.0.113.9")).toBe("203.0.113.9");
		expect(addressKey(" 10.0.0.1 ")).toBe("10.0.0.1");
	});

	it("counts an IPv6 address by its /64, however it is written", () => {
		const key = "2001:db8:1:2::/64";
		for (const ip of [
			"2001:db8:1:2::1",
			"2001:0db8:0001:0002:ffff:ffff:ffff:ffff",
			"2001:DB8:1:2:0:0:0:9",
			"[2001:db8:1:2::7]",
			"2001:db8:1:2::7%eth0",
		])
			expect(addressKey(ip), ip).toBe(key);
		expect(addressKey("2001:db8:1:3::1")).toBe("2001:db8:1:3::/64");
		expect(addressKey("::1")).toBe("0:0:0:0::/64");
		expect(addressKey("2001:db8::")).toBe("2001:db8:0:0::/64");
	});

	it("reads IPv4-mapped IPv6 as the IPv4 address", () => {
		expect(addressKey("::ffff:198.51.100.4")).toBe("198.51.100.4");
		expect(addressKey("::ffff:c633:6404")).toBe("198.51.100.4");
	});

	it("keeps what it cannot read, bounded, and names a missing address", () => {
		expect(addressKey(undefined)).toBe("unknown");
		expect(addressKey("")).toBe("unknown");
		expect(addressKey("999.1.1.1")).toBe("other:999.1.1.1");
		expect(addressKey("1:2:3")).toBe("other:1:2:3");
		expect(addressKey("1::2::3")).toBe("other:1::2::3");
		expect(addressKey("x".repeat(200))).toBe(`other:${"x".repeat(64)}`);
	});
});
