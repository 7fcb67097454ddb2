// The bench's clients and what the scenarios ask of the site and the OMS simulator: clients
// straight into Postgres, the real sign-in, JSON reads, accept-to-OMS times, the simulator's
// controls, and a small worker pool. Seeding and sign-in are scripts/fixtures.ts's, as the
// tests' are.
import type { Order } from "../src/contract/index.ts";
import type { OmsControl } from "../simulators/oms.ts";
import { browserHeaders, clientSeed, over, poll, sealCredentials, signIn as signInOver } from "../scripts/fixtures.ts";
import { localSecrets } from "../src/config/local-secrets.ts";
import { withPg, writeSeedRows } from "../scripts/seed.ts";
import { PASSWORD, TOTP_SECRET } from "./config.ts";

export interface BenchClient {
	clientId: string;
	positionIds: string[];
}

export type BenchPosition = { segment: "EQ" | "FUT"; netQty: number };

/** Clients straight into Postgres (one password hash and sealed seed for all: hashing is not what is measured). */
export async function createClients(databaseUrl: string, prefix: string, count: number, positions: readonly BenchPosition[]) {
	const sealed = await sealCredentials(PASSWORD, TOTP_SECRET, localSecrets);
	const out: BenchClient[] = [];
	await withPg(databaseUrl, async (db) => {
		for (let i = 0; i < count; i++) {
			const clientId = `${prefix}${String(i).padStart(4, "0")}`;
			const rows = clientSeed(
				{
					clientId,
					name: `Bench ${clientId}`,
					positions: positions.map((p) => ({ instrument: { segment: p.segment }, netQty: p.netQty })),
				},
				sealed,
				{
					symbol: (p, j) => `${p.instrument.segment === "EQ" ? "BEQ" : "BFUT"}${clientId}${j}`,
					positionId: (_, j) => `P${clientId}${j}`,
				},
			);
			await writeSeedRows(db, rows);
			out.push({ clientId, positionIds: rows.positions.map((p) => p.id) });
		}
	});
	return out;
}

/** The real sign-in: password, then a TOTP code; each trader from its own address (the limit is per IP). */
export function signIn(site: string, clientId: string, ip: string): Promise<string> {
	return signInOver(over(site), { clientId, password: PASSWORD, totpSecret: TOTP_SECRET }, browserHeaders(site, ip));
}

export async function getJson<T>(site: string, path: string, cookie: string): Promise<T> {
	const res = await fetch(`${site}${path}`, { headers: { cookie } });
	if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
	return (await res.json()) as T;
}

/** Runs f over items, at most `limit` at a time. */
export async function pool<T, R>(items: T[], limit: number, f: (item: T, i: number) => Promise<R>): Promise<R[]> {
	const out: R[] = new Array(items.length);
	// One iterator shared by the workers: each takes the next item as it frees up.
	const queue = items.entries();
	await Promise.all(
		Array.from({ length: Math.min(limit, items.length) }, async () => {
			for (const [i, item] of queue) out[i] = await f(item, i);
		}),
	);
	return out;
}

/** Accept-to-OMS per order: OMS simulator's receivedAt minus the Account's createdAt (one machine, one clock). */
export async function acceptToOms(site: string, omsUrl: string, clientId: string, cookie: string): Promise<number[]> {
	const { orders } = await getJson<{ orders: Order[] }>(site, "/api/orders", cookie);
	const stats = (await (await fetch(`${omsUrl}/__stats?clientId=${clientId}`)).json()) as {
		orders: { orderId: string; receivedAt: number }[];
	};
	const at = new Map(stats.orders.map((o) => [o.orderId, o.receivedAt]));
	return orders.filter((o) => at.has(o.id)).map((o) => (at.get(o.id) ?? 0) - Date.parse(o.createdAt));
}

/** Sets the OMS simulator's behaviour for every order. */
export const omsControl = (omsUrl: string, patch: Partial<OmsControl>) =>
	fetch(`${omsUrl}/__control`, { method: "POST", body: JSON.stringify(patch) }).then((r) => r.arrayBuffer());

/** Waits (up to 2 min) until the OMS holds `count` orders in all; returns how many it holds. */
export async function drainTo(omsUrl: string, count: number): Promise<number> {
	const { value } = await poll(
		async () => ((await (await fetch(`${omsUrl}/__stats`)).json()) as { distinctOrders: number }).distinctOrders,
		(distinctOrders) => distinctOrders >= count,
		{ timeoutMs: 120_000, intervalMs: 250 },
	);
	return value;
}
