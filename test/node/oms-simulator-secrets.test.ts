// The OMS simulator refuses to start with an HMAC secret under 32 bytes, naming it.
import { describe, expect, it } from "vitest";
import { startOmsSimulator } from "../../simulators/oms.ts";

describe("OMS simulator secrets", () => {
	it("refuses a short relay or events secret at start", async () => {
		const good = "s".repeat(32);
		await expect(startOmsSimulator({ relaySecret: "short", eventsSecret: good })).rejects.toThrow(
			/OMS_RELAY_HMAC_SECRET must be a secret of at least 32 bytes/,
		);
		await expect(startOmsSimulator({ relaySecret: good, eventsSecret: "" })).rejects.toThrow(
			/OMS_EVENTS_HMAC_SECRET must be a secret of at least 32 bytes/,
		);
		const sim = await startOmsSimulator({ relaySecret: good, eventsSecret: good });
		await sim.stop();
	});
});
