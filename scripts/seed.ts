// Seeds the demo clients, instruments and positions (idempotent: re-running resets them).
import pg from "pg";
import { hashPassword } from "../src/auth/password.ts";
import { sealSeed } from "../src/auth/seed-box.ts";
import { demoClients, demoInstruments, demoPositions } from "./demo-data.ts";

export async function seedDemo(databaseUrl: string, secrets: { PASSWORD_PEPPER: string; TOTP_ENC_KEY: string }): Promise<void> {
	const client = new pg.Client({ connectionString: databaseUrl });
	await client.connect();
	try {
		await client.query("BEGIN");
		for (const c of demoClients) {
			await client.query(
				`INSERT INTO clients (client_id, name, password_hash, totp_seed_enc, status) VALUES ($1, $2, $3, $4, 'active')
				 ON CONFLICT (client_id) DO UPDATE SET name = excluded.name, password_hash = excluded.password_hash,
				   totp_seed_enc = excluded.totp_seed_enc, status = 'active', updated_at = now()`,
				[c.clientId, c.name, await hashPassword(c.password, secrets.PASSWORD_PEPPER), await sealSeed(c.totpSecret, secrets.TOTP_ENC_KEY)],
			);
		}
		for (const i of demoInstruments) {
			await client.query(
				`INSERT INTO instruments (id, exchange, segment, symbol, underlying, option_type, lot_size, tick_size, freeze_qty, price_band_low, price_band_high, ltp)
				 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
				 ON CONFLICT (id) DO UPDATE SET lot_size = excluded.lot_size, tick_size = excluded.tick_size, freeze_qty = excluded.freeze_qty,
				   price_band_low = excluded.price_band_low, price_band_high = excluded.price_band_high, ltp = excluded.ltp, updated_at = now()`,
				[
					i.id,
					i.exchange,
					i.segment,
					i.symbol,
					i.underlying,
					i.optionType,
					i.lotSize,
					i.tickSize,
					i.freezeQty,
					i.priceBandLow,
					i.priceBandHigh,
					i.ltp,
				],
			);
		}
		for (const p of demoPositions) {
			await client.query(
				`INSERT INTO positions (id, client_id, instrument_id, product, net_qty, avg_price) VALUES ($1, $2, $3, $4, $5, $6)
				 ON CONFLICT (id) DO UPDATE SET net_qty = excluded.net_qty, avg_price = excluded.avg_price, updated_at = now()`,
				[p.id, p.clientId, p.instrumentId, p.product, p.netQty, p.avgPrice],
			);
		}
		await client.query("COMMIT");
	} catch (err) {
		await client.query("ROLLBACK");
		throw err;
	} finally {
		await client.end();
	}
}
