// Writing seed rows from Node through `pg`: the demo clients, instruments and positions
// (seedDemo, idempotent: re-running resets them), and the clients the browser tests and the
// bench create. The rows come from scripts/fixtures.ts, as the Workers tests' do.
import pg from "pg";
import { type ClientRow, type InstrumentRow, type PositionRow, type SeedRows, type SeedSecrets, sealCredentials } from "./fixtures.ts";
import { demoClients, demoInstruments, demoPositions } from "./demo-data.ts";

interface Table<R> {
	name: string;
	columns: Record<keyof R, string>;
	key: string;
	/** What a re-run of a seeding resets where the row is already there. */
	reset: string[];
}

const clients: Table<ClientRow> = {
	name: "clients",
	columns: {
		clientId: "client_id",
		name: "name",
		passwordHash: "password_hash",
		totpSeedEnc: "totp_seed_enc",
		status: "status",
		mobile: "mobile",
		email: "email",
		noticesOptOut: "notices_opt_out",
	},
	key: "client_id",
	reset: ["name", "password_hash", "totp_seed_enc", "status", "mobile", "email", "notices_opt_out"],
};

const instruments: Table<InstrumentRow> = {
	name: "instruments",
	columns: {
		id: "id",
		exchange: "exchange",
		segment: "segment",
		symbol: "symbol",
		underlying: "underlying",
		optionType: "option_type",
		lotSize: "lot_size",
		tickSize: "tick_size",
		freezeQty: "freeze_qty",
		priceBandLow: "price_band_low",
		priceBandHigh: "price_band_high",
		ltp: "ltp",
	},
	key: "id",
	reset: ["lot_size", "tick_size", "freeze_qty", "price_band_low", "price_band_high", "ltp"],
};

const positions: Table<PositionRow> = {
	name: "positions",
	columns: { id: "id", clientId: "client_id", instrumentId: "instrument_id", product: "product", netQty: "net_qty", avgPrice: "avg_price" },
	key: "id",
	reset: ["net_qty", "avg_price"],
};

/** One parameterised INSERT a row; with `reset`, a row already there takes the new values (ON CONFLICT on the key). */
async function insertRows<R extends object>(db: pg.ClientBase, table: Table<R>, rows: R[], reset: boolean) {
	const props = Object.keys(table.columns) as (keyof R)[];
	const onConflict = reset
		? ` ON CONFLICT (${table.key}) DO UPDATE SET ${table.reset.map((c) => `${c} = excluded.${c}`).join(", ")}, updated_at = now()`
		: "";
	const sql = `INSERT INTO ${table.name} (${props.map((p) => table.columns[p]).join(", ")}) VALUES (${props.map((_, i) => `$${i + 1}`).join(", ")})${onConflict}`;
	for (const row of rows) {
		await db.query(
			sql,
			props.map((p) => row[p]),
		);
	}
}

/**
 * Inserts the rows: clients, then instruments, then positions. With `reset`, rows that are
 * already there get the seeding's values instead (seedDemo's re-runs).
 */
export async function writeSeedRows(db: pg.ClientBase, rows: SeedRows, opts: { reset?: boolean } = {}): Promise<void> {
	const reset = opts.reset ?? false;
	await insertRows(db, clients, rows.clients, reset);
	await insertRows(db, instruments, rows.instruments, reset);
	await insertRows(db, positions, rows.positions, reset);
}

/** Runs `use` on a connection of its own to `databaseUrl`, closed afterwards. */
export async function withPg<T>(databaseUrl: string, use: (db: pg.Client) => Promise<T>): Promise<T> {
	const db = new pg.Client({ connectionString: databaseUrl });
	await db.connect();
	try {
		return await use(db);
	} finally {
		await db.end();
	}
}

export async function seedDemo(databaseUrl: string, secrets: SeedSecrets): Promise<void> {
	const rows: SeedRows = {
		clients: await Promise.all(
			demoClients.map(async (c) => ({
				clientId: c.clientId,
				name: c.name,
				...(await sealCredentials(c.password, c.totpSecret, secrets)),
				status: "active" as const,
				mobile: c.mobile,
				email: c.email,
				noticesOptOut: false,
			})),
		),
		instruments: [...demoInstruments],
		positions: [...demoPositions],
	};
	await withPg(databaseUrl, async (db) => {
		await db.query("BEGIN");
		try {
			await writeSeedRows(db, rows, { reset: true });
			await db.query("COMMIT");
		} catch (err) {
			await db.query("ROLLBACK");
			throw err;
		}
	});
}
