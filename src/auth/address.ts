// The address a sign-in attempt is counted against. IPv4: the address itself. IPv6: its /64,
// the block one subscriber line gets (rotating inside it must not buy a fresh budget);
// IPv4-mapped IPv6 is IPv4. Cloudflare sets `cf-connecting-ip`; anything that does not parse
// is kept as given (truncated), so it still counts against itself.

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipv4(s: string): string | null {
	const m = IPV4.exec(s);
	if (!m) return null;
	const parts = m.slice(1).map(Number);
	return parts.every((n) => n <= 255) ? parts.join(".") : null;
}

/** The eight 16-bit groups of an IPv6 address (an embedded IPv4 tail becomes two), or null. */
function ipv6Groups(s: string): number[] | null {
	const address = s.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
	if (!address.includes(":") || !/^[0-9a-fA-F:.]+$/.test(address)) return null;
	const halves = address.split("::");
	if (halves.length > 2) return null;
	const parse = (half: string): number[] | null => {
		if (half === "") return [];
		const out: number[] = [];
		const pieces = half.split(":");
		for (const [i, piece] of pieces.entries()) {
			if (i === pieces.length - 1 && piece.includes(".")) {
				const v4 = ipv4(piece);
				if (!v4) return null;
				const [a = 0, b = 0, c = 0, d = 0] = v4.split(".").map(Number);
				out.push((a << 8) | b, (c << 8) | d);
			} else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) out.push(Number.parseInt(piece, 16));
			else return null;
		}
		return out;
	};
	const head = parse(halves[0] ?? "");
	const tail = halves.length === 2 ? parse(halves[1] ?? "") : [];
	if (!head || !tail) return null;
	const missing = 8 - head.length - tail.length;
	if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
	return [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
}

/** The key sign-in limits count an address under: `1.2.3.4`, or `2001:db8:0:1::/64`. */
export function addressKey(ip: string | null | undefined): string {
	const s = (ip ?? "").trim();
	if (!s) return "unknown";
	const v4 = ipv4(s);
	if (v4) return v4;
	const groups = ipv6Groups(s);
	if (!groups) return `other:${s.slice(0, 64)}`;
	// ::ffff:a.b.c.d is an IPv4 client.
	if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
		const [hi = 0, lo = 0] = groups.slice(6);
		return [hi >> 8, hi & 255, lo >> 8, lo & 255].join(".");
	}
	return `${groups
		.slice(0, 4)
		.map((g) => g.toString(16))
		.join(":")}::/64`;
}
