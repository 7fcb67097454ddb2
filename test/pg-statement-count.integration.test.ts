import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { openDb } from "../src/db/client";
import { uid } from "./fixtures";
import { statementsRunBy } from "./helpers";

it("Postgres statements are counted per connection label, so a test can prove a path runs none", async () => {
	const label = `count-${uid()}`;
	expect(await statementsRunBy(label)).toBe(0);
	const { db, close } = openDb(env, label);
	await db.execute(sql`SELECT 1`);
	await db.execute(sql`SELECT 2`);
	await close();
	let count = 0;
	for (let i = 0; i < 50 && count < 2; i++) {
		count = await statementsRunBy(label);
		if (count < 2) await new Promise((r) => setTimeout(r, 50));
	}
	expect(count).toBe(2);
});
