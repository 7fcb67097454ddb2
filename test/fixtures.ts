// Test data of its own for each test: every client, instrument and position gets a unique
// id, so test files (which share one Postgres) never see each other's rows. The rows come from
// scripts/fixtures.ts (shared with the browser harness, the bench and the seed script); here
// they are written through the Worker's own drizzle client.
import { env } from "cloudflare:workers";
import { openDb, schema } from "../src/db/client";
import { issueSessionToken, SESSION_COOKIE } from "../src/auth/session";
import type { OrderRecord } from "../src/contract";
import {
	clientSeed,
	type Contacts,
	type InstrumentSpec as BaseInstrumentSpec,
	type PositionSpec as BasePositionSpec,
	type SeedRows,
	sealCredentials,
	TEST_TOTP_SECRET,
	uid,
} from "../scripts/fixtures.ts";

export { uid };

export interface InstrumentSpec extends BaseInstrumentSpec {
	/** The symbol's start (default EQ or NIFTY): a unique suffix is added. */
	symbol?: string;
}

export interface PositionSpec extends BasePositionSpec {
	instrument: InstrumentSpec;
}

export interface TestClient {
	clientId: string;
	password: string;
	totpSecret: string;
	positionIds: string[];
	instrumentIds: string[];
}

/** Writes seed rows through the Worker's drizzle client. */
export async function insertSeedRows(rows: SeedRows): Promise<void> {
	const { db, close } = openDb(env);
	try {
		if (rows.clients.length) await db.insert(schema.clients).values(rows.clients);
		if (rows.instruments.length) await db.insert(schema.instruments).values(rows.instruments);
		if (rows.positions.length) await db.insert(schema.positions).values(rows.positions);
	} finally {
		await close();
	}
}

/** Inserts a client (PBKDF2 password, sealed TOTP seed) with its instruments and positions. */
export async function createClient(
	opts: { positions?: PositionSpec[]; status?: "active" | "disabled"; password?: string; contacts?: Contacts } = {},
): Promise<TestClient> {
	const clientId = uid("C");
	const password = opts.password ?? `pw-${clientId.toLowerCase()}`;
	const totpSecret = TEST_TOTP_SECRET;
	const rows = clientSeed(
		{ clientId, name: `Test ${clientId}`, status: opts.status, positions: opts.positions, contacts: opts.contacts },
		await sealCredentials(password, totpSecret, env),
		{
			symbol: (p) => `${p.instrument.symbol ?? (p.instrument.segment === "EQ" ? "EQ" : "NIFTY")}${uid("")}`,
			positionId: () => uid("P"),
		},
	);
	await insertSeedRows(rows);
	return {
		clientId,
		password,
		totpSecret,
		positionIds: rows.positions.map((p) => p.id),
		instrumentIds: rows.instruments.map((i) => i.id),
	};
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
