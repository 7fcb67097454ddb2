// The one copy of what seeds a client, signs one in and waits for a condition, shared by the
// Workers tests (test/fixtures.ts, test/helpers.ts), the browser harness, the bench and the
// scripts. Runtime-neutral (fetch, WebCrypto, otplib): it runs in workerd and in Node alike.
// It builds rows; writing them is the caller's runtime's business: drizzle in test/fixtures.ts,
// `pg` in scripts/seed.ts (writeSeedRows).
import { generate } from "otplib";
import { hashPassword } from "../src/auth/password.ts";
import { sealSeed } from "../src/auth/seed-box.ts";
import type { Product, Segment } from "../src/contract/index.ts";

/** The TOTP seed (base32) of every client the tests and the bench create. */
export const TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/** A unique id: the prefix and `length` upper-case hex characters. */
export const uid = (prefix = "T", length = 10) => `${prefix}${crypto.randomUUID().replaceAll("-", "").slice(0, length).toUpperCase()}`;

// ---------------------------------------------------------------------------------------------
// Rows (the property names are the drizzle schema's; scripts/seed.ts maps them to columns)

export type ClientStatus = "active" | "disabled";

export interface ClientRow {
	clientId: string;
	name: string;
	passwordHash: string;
	totpSeedEnc: string;
	status: ClientStatus;
	/** Where notices go; none by default. */
	mobile: string | null;
	email: string | null;
	noticesOptOut: boolean;
}

/** A client's contacts for notices (replicated from the primary like the rest of its row). */
export type Contacts = Partial<Pick<ClientRow, "mobile" | "email" | "noticesOptOut">>;

export interface InstrumentRow {
	id: string;
	exchange: string;
	segment: Segment;
	symbol: string;
	underlying: string;
	optionType: "CE" | "PE" | null;
	lotSize: number;
	tickSize: string;
	freezeQty: number | null;
	priceBandLow: string;
	priceBandHigh: string;
	ltp: string;
}

export interface PositionRow {
	id: string;
	clientId: string;
	instrumentId: string;
	product: Product;
	netQty: number;
	avgPrice: string;
}

/** What one seeding writes: clients, their instruments and their positions. */
export interface SeedRows {
	clients: ClientRow[];
	instruments: InstrumentRow[];
	positions: PositionRow[];
}

/** The secrets a client's row is sealed with (Env in the Workers tests, localSecrets in Node). */
export interface SeedSecrets {
	PASSWORD_PEPPER: string;
	TOTP_ENC_KEY: string;
}

export interface Credentials {
	clientId: string;
	password: string;
	totpSecret: string;
}

export type SealedCredentials = Pick<ClientRow, "passwordHash" | "totpSeedEnc">;

/** The password hashed (peppered PBKDF2) and the TOTP seed sealed, the way the primary replicates them. */
export async function sealCredentials(password: string, totpSecret: string, secrets: SeedSecrets): Promise<SealedCredentials> {
	return {
		passwordHash: await hashPassword(password, secrets.PASSWORD_PEPPER),
		totpSeedEnc: await sealSeed(totpSecret, secrets.TOTP_ENC_KEY),
	};
}

/** An instrument; what is left out takes the segment's defaults (an index derivative on NIFTY for FUT and OPT). */
export interface InstrumentSpec {
	segment: Segment;
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

export function instrumentRow(i: InstrumentSpec, symbol: string): InstrumentRow {
	const eq = i.segment === "EQ";
	const exchange = eq ? "NSE" : "NFO";
	return {
		id: `${exchange}:${symbol}`,
		exchange,
		segment: i.segment,
		symbol,
		underlying: i.underlying ?? (eq ? symbol : "NIFTY"),
		optionType: i.optionType ?? (i.segment === "OPT" ? "CE" : null),
		lotSize: i.lotSize ?? (eq ? 1 : 75),
		tickSize: i.tickSize ?? "0.05",
		freezeQty: i.freezeQty === undefined ? (eq ? null : 1800) : i.freezeQty,
		priceBandLow: i.priceBandLow ?? "1.00",
		priceBandHigh: i.priceBandHigh ?? "1000.00",
		ltp: i.ltp ?? "100.00",
	};
}

/** How a seeding names what it creates: each position's instrument symbol and the position's id. */
export interface Naming<P extends PositionSpec> {
	symbol(position: P, index: number): string;
	positionId(position: P, index: number): string;
}

/** One client's rows: the client, then an instrument of its own and a position in it for each position. */
export function clientSeed<P extends PositionSpec>(
	client: { clientId: string; name: string; status?: ClientStatus; positions?: P[]; contacts?: Contacts },
	sealed: SealedCredentials,
	naming: Naming<P>,
): SeedRows {
	const rows: SeedRows = {
		clients: [
			{
				clientId: client.clientId,
				name: client.name,
				...sealed,
				status: client.status ?? "active",
				mobile: client.contacts?.mobile ?? null,
				email: client.contacts?.email ?? null,
				noticesOptOut: client.contacts?.noticesOptOut ?? false,
			},
		],
		instruments: [],
		positions: [],
	};
	for (const [index, p] of (client.positions ?? []).entries()) {
		const instrument = instrumentRow(p.instrument, naming.symbol(p, index));
		rows.instruments.push(instrument);
		rows.positions.push({
			id: naming.positionId(p, index),
			clientId: client.clientId,
			instrumentId: instrument.id,
			product: p.product ?? (p.instrument.segment === "EQ" ? "MIS" : "NRML"),
			netQty: p.netQty,
			avgPrice: p.avgPrice ?? "100.00",
		});
	}
	return rows;
}

// ---------------------------------------------------------------------------------------------
// Reaching the site

/** How a helper reaches the site: the Worker's own fetch handler in the Workers tests, fetch in Node. */
export type Send = (path: string, init?: RequestInit) => Promise<Response>;

/** A Send that fetches from a running site (`http://127.0.0.1:8787`). */
export const over =
	(site: string): Send =>
	(path, init) =>
		fetch(`${site}${path}`, init);

/** Headers of a same-site JSON request from one browser; `ip` becomes its address (the sign-in limit is per IP). */
export const browserHeaders = (origin: string, ip?: string): Record<string, string> => ({
	"content-type": "application/json",
	origin,
	...(ip === undefined ? {} : { "cf-connecting-ip": ip }),
});

/** The `name=value` part of a Set-Cookie header. */
export const cookieOf = (res: Response) => (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";

/** The TOTP code of `secret` at a time (seconds; default now). */
export const totpCode = (secret: string, epochSeconds = Math.floor(Date.now() / 1000)) => generate({ secret, epoch: epochSeconds });

/**
 * Signs in through the real routes (password, then TOTP) and returns the session cookie
 * (`__Host-lb_session=...`) to send as a `cookie` header.
 */
export async function signIn(send: Send, client: Credentials, headers: Record<string, string>): Promise<string> {
	const { clientId, password, totpSecret } = client;
	const login = await send("/api/auth/login", { method: "POST", headers, body: JSON.stringify({ clientId, password }) });
	if (login.status !== 200) throw new Error(`login ${clientId}: ${login.status} ${await login.text()}`);
	const { challengeId } = (await login.json()) as { challengeId: string };
	// A code of this time step may already be spent by an earlier sign-in of the same client:
	// the next step's code is within the one step of drift the server allows.
	for (const ahead of [0, 30]) {
		const code = await totpCode(totpSecret, Math.floor(Date.now() / 1000) + ahead);
		const res = await send("/api/auth/totp", { method: "POST", headers, body: JSON.stringify({ challengeId, code }) });
		if (res.status === 200) return cookieOf(res);
		if (res.status !== 401) throw new Error(`totp ${clientId}: ${res.status} ${await res.text()}`);
	}
	throw new Error(`sign-in of ${clientId} refused its TOTP codes`);
}

/** Turns failover on or off through the ops route (`token`: the ops bearer token; `origin`, if the caller sends one). */
export async function setFailover(send: Send, active: boolean, reason: string, ops: { token: string; origin?: string }) {
	const res = await send("/ops/failover", {
		method: "POST",
		headers: {
			authorization: `Bearer ${ops.token}`,
			"content-type": "application/json",
			...(ops.origin === undefined ? {} : { origin: ops.origin }),
		},
		body: JSON.stringify({ active, reason }),
	});
	if (!res.ok) throw new Error(`failover ${res.status}: ${await res.text()}`);
}

/** `items[index]` where the caller expects it to exist; a clear error (a failed test or run) where it does not. */
export function itemAt<T>(items: readonly T[], index: number, what = "item"): T {
	const item = items[index];
	if (item === undefined) throw new Error(`no ${what} at index ${index} (of ${items.length})`);
	return item;
}

// ---------------------------------------------------------------------------------------------
// Waiting

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface Patience {
	/** How long to keep trying (default 20 s). */
	timeoutMs?: number;
	/** The pause between tries (default 50 ms). */
	intervalMs?: number;
}

/**
 * Calls `probe` until `done` holds for its value or `timeoutMs` has passed, `intervalMs` apart:
 * whether it was met, and the last value either way. A probe that throws ends the wait (wrap it
 * in `.catch(() => ...)` where a failing try only means "not yet").
 */
export async function poll<T>(
	probe: () => Promise<T>,
	done: (value: T) => boolean,
	patience: Patience = {},
): Promise<{ met: boolean; value: T }> {
	const { timeoutMs = 20_000, intervalMs = 50 } = patience;
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe();
		if (done(value)) return { met: true, value };
		if (Date.now() > deadline) return { met: false, value };
		await sleep(intervalMs);
	}
}

/** Polls until `probe` returns a value (not undefined/null/false) and returns it; throws once the deadline passes. Never a fixed sleep. */
export async function eventually<T>(
	probe: () => Promise<T | undefined | null | false>,
	what = "condition",
	patience: number | Patience = {},
): Promise<T> {
	const p = typeof patience === "number" ? { timeoutMs: patience } : patience;
	const { met, value } = await poll(probe, (v) => v !== undefined && v !== null && v !== false, p);
	if (!met) throw new Error(`${what}: not met within ${p.timeoutMs ?? 20_000} ms`);
	return value as T;
}
