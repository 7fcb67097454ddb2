// What test/global-setup.ts provides to the tests and vitest.config.ts (inject).
import "vitest";

declare module "vitest" {
	export interface ProvidedContext {
		databaseUrl: string;
		wsProxy: string;
		omsUrl: string;
		primaryUrl: string;
		/** The notification (SMS/e-mail gateway) simulator; notices go to {notifyUrl}/notices. */
		notifyUrl: string;
		/** GET {pgStatsUrl}/statements?app=<application_name> -> { count }: statements Postgres ran for that label. */
		pgStatsUrl: string;
		/** The Cloudflare Access simulator (simulators/access.ts): the team's origin, serving /cdn-cgi/access/certs. */
		accessUrl: string;
	}
}
