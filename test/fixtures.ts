// Test data of its own for each test: every client, instrument and position gets a unique
// id, so test files (which share one Postgres) never see each other's rows.
import { env } from "cloudflare:workers";
import { openDb, schema } from "../src/db/client";
import { hashPassword } from "../src/auth/password";
import { sealSeed } from "../src/auth/seed-box";
import { issueSessionToken, SESSION_COOKIE } from "../src/auth/session";
import type { OrderRecord, Product } from "../src/contract";

export const uid = (prefix = "T") => `${prefix}${crypto.randomUUID().replaceAll("-", "").slice(0, 10).toUpperCase()}`;

export interface InstrumentSpec {
	segment: "EQ" | "FUT" | "OPT";
	symbol?: string;
	underlying?: string;
	optionType?: "CE" | "PE" | null;
	lotSize?: number;
	tickSize?: string;
	freezeQty?: number | null;
	priceBandLow?: string;
	priceBandHigh?: string;
	ltp?: string;
}

export interface PositionSpec {
	instrument: InstrumentSpec;
	product?: Product;
	netQty: number;
	avgPrice?: string;
}

export interface TestClient {
	clientId: string;
	password: string;
	totpSecret: string;
	positionIds: string[];
	instrumentIds: string[];
}

/** Inserts a client (PBKDF2 password, sealed TOTP seed) with its instruments and positions. */
export async function createClient(
	opts: { positions?: PositionSpec[]; status?: "active" | "disabled"; password?: string } = {},
): Promise<TestClient> {
	const clientId = uid("C");
	const password = opts.password ?? `pw-${clientId.toLowerCase()}`;
	const totpSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
	const { db, close } = openDb(env);
	try {
		await db.insert(schema.clients).values({
			clientId,
			name: `Test ${clientId}`,
			passwordHash: await hashPassword(password, env.PASSWORD_PEPPER),
			totpSeedEnc: await sealSeed(totpSecret, env.TOTP_ENC_KEY),
			status: opts.status ?? "active",
		});
		const positionIds: string[] = [];
		const instrumentIds: string[] = [];
		for (const p of opts.positions ?? []) {
			const i = p.instrument;
			const symbol = `${i.symbol ?? (i.segment === "EQ" ? "EQ" : "NIFTY")}${uid("")}`;
			const instrumentId = `${i.segment === "EQ" ? "NSE" : "NFO"}:${symbol}`;
			await db.insert(schema.instruments).values({
				id: instrumentId,
				exchange: i.segment === "EQ" ? "NSE" : "NFO",
				segment: i.segment,
				symbol,
				underlying: i.underlying ?? (i.segment === "EQ" ? symbol : "NIFTY"),
				optionType: i.optionType ?? (i.segment === "OPT" ? "CE" : null),
				lotSize: i.lotSize ?? (i.segment === "EQ" ? 1 : 75),
				tickSize: i.tickSize ?? "0.05",
				freezeQty: i.freezeQty === undefined ? (i.segment === "EQ" ? null : 1800) : i.freezeQty,
				priceBandLow: i.priceBandLow ?? "1.00",
				priceBandHigh: i.priceBandHigh ?? "1000.00",
				ltp: i.ltp ?? "100.00",
			});
			const positionId = uid("P");
			await db.insert(schema.positions).values({
				id: positionId,
				clientId,
				instrumentId,
				product: p.product ?? (i.segment === "EQ" ? "MIS" : "NRML"),
				netQty: p.netQty,
				avgPrice: p.avgPrice ?? "100.00",
			});
			positionIds.push(positionId);
			instrumentIds.push(instrumentId);
		}
		return { clientId, password, totpSecret, positionIds, instrumentIds };
	} finally {
		await close();
	}
}

/**
 * A signed-in session without going through the sign-in screens: the same two steps the
 * TOTP route takes after both factors pass (a session row in the Account, then the token).
 */
export async function openSession(clientId: string): Promise<{ cookie: string; sessionId: string }> {
	const sessionId = crypto.randomUUID();
	const now = Math.floor(Date.now() / 1000);
	const { token, expiresAt } = await issueSessionToken(env, clientId, sessionId, now);
	await env.ACCOUNTS.getByName(clientId).openSession(sessionId, now, expiresAt);
	return { cookie: `${SESSION_COOKIE}=${token}`, sessionId };
}

/** A backup order snapshot at one version, as the Account sends it to the records queue. */
export function orderRecord(id: string, version: number, status: OrderRecord["status"], filledQty: number, clientId = "CREC"): OrderRecord {
	return {
		id,
		clientId,
		version,
		squareOffId: "S1",
		positionId: "P1",
		exchange: "NSE",
		symbol: "RELIANCE",
		side: "SELL",
		quantity: 10,
		filledQty,
		orderType: "MARKET",
		product: "MIS",
		status,
		createdAt: "2026-11-27T09:15:00.000Z",
		updatedAt: new Date(Date.parse("2026-11-27T09:15:00.000Z") + version * 1000).toISOString(),
	};
}
