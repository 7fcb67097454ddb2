// Applies the drizzle-kit migrations in migrations/ to DATABASE_URL (Neon or local).
// Usage: DATABASE_URL=postgres://... npm run db:migrate
import { fileURLToPath } from "node:url";
import pg from "pg";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";

export const migrationsFolder = fileURLToPath(new URL("../migrations", import.meta.url));

export async function applyMigrations(databaseUrl: string): Promise<void> {
	const client = new pg.Client({ connectionString: databaseUrl });
	await client.connect();
	try {
		await migrate(drizzle({ client }), { migrationsFolder });
	} finally {
		await client.end();
	}
}

if (import.meta.main) {
	const url = process.env.DATABASE_URL;
	if (!url) {
		console.error("DATABASE_URL is not set");
		process.exit(2);
	}
	await applyMigrations(url);
	console.log("migrations applied");
}
