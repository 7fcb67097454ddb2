// Secrets for local development and tests only. Staging and production set their own
// (docs/deploy.md); the config guard (src/config/guard.ts) refuses to go active with any of these.
export const localSecrets = {
	JWT_SECRET: "bG9jYWwtb25seS1qd3Qtc2VjcmV0LTMyLWJ5dGVzISE=",
	JWT_KID: "local-1",
	PASSWORD_PEPPER: "bG9jYWwtb25seS1wYXNzd29yZC1wZXBwZXItMzItYiE=",
	TOTP_ENC_KEY: "bG9jYWwtb25seS10b3RwLXNlZWQta2V5LTMyYnl0ZSE=",
	// One key per direction, each at least 32 bytes (src/relay/signature.ts refuses shorter ones).
	OMS_RELAY_HMAC_SECRET: "local-only-relay-to-oms-hmac-secret-0001",
	OMS_EVENTS_HMAC_SECRET: "local-only-oms-events-hmac-secret-00001",
	// Signs notices to the SMS/e-mail gateway (its simulator checks them).
	NOTIFY_HMAC_SECRET: "local-only-notices-to-gateway-hmac-secret-01",
	OPS_TOKEN: "dev-ops-token",
	SYNC_TOKEN: "dev-sync-token",
};
