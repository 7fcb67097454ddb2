import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { localSecrets } from "./src/config/local-secrets.ts";

// Wrangler warns, once per test file, of each secret of [secrets] required it cannot find in the
// environment. The tests get every secret as a binding below (which wins), so the names are set
// here with local values, where wrangler looks.
for (const name of ["DATABASE_URL", "ALERT_WEBHOOK_URL", ...Object.keys(localSecrets)])
	process.env[name] ??= localSecrets[name as keyof typeof localSecrets] ?? "";

export default defineConfig({
	plugins: [
		cloudflareTest(({ inject }) => ({
			wrangler: { configPath: "./wrangler.toml" },
			miniflare: {
				bindings: {
					...localSecrets,
					DATABASE_URL: inject("databaseUrl"),
					NEON_WS_PROXY: inject("wsProxy"),
					OMS_URL: inject("omsUrl"),
					NOTIFY_URL: `${inject("notifyUrl")}/notices`,
					PRIMARY_HEALTH_URLS: JSON.stringify([{ url: `${inject("primaryUrl")}/health`, expectStatus: 200 }]),
					TEST_PRIMARY_URL: inject("primaryUrl"),
					// The relay's timing, shrunk so retries, timeouts and the dead-letter path fit in a test.
					OMS_TIMEOUT_MS: "1000",
					RELAY_RETRY_BASE_SECONDS: "1",
					RELAY_RETRY_CAP_SECONDS: "1",
					// Orders expire sooner, so expiry and unknown outcomes settle within a test.
					MARKET_ORDER_TTL_SECONDS: "10",
					LIMIT_ORDER_TTL_SECONDS: "20",
					OMS_CHECK_EVERY_SECONDS: "2",
					// Gateway mode for requests addressed to the primary simulator's host (other hosts are unaffected).
					PRIMARY_ORIGIN: inject("primaryUrl"),
					BACKUP_ORIGIN: "https://lifeboat.test",
					// Ops alerts go to the primary simulator's collector, where tests count them.
					ALERT_WEBHOOK_URL: `${inject("primaryUrl")}/__alerts`,
					// Every binding call goes through the counting wrapper the bench uses (platform-calls.ts).
					COUNT_PLATFORM_CALLS: "on",
					// Cloudflare Access: the team's keys come from the Access simulator (tests publish their own).
					ACCESS_TEAM_DOMAIN: inject("accessUrl"),
					ACCESS_AUD: "lifeboat-test-aud",
				},
			},
		})),
	],
	test: {
		include: ["test/**/*.test.ts"],
		exclude: ["test/browser/**", "test/node/**"],
		globalSetup: ["./test/global-setup.ts"],
		testTimeout: 30_000,
		hookTimeout: 60_000,
	},
});
