// The ops console in Chromium against the whole stack: sign in with the ops token, read the
// state, flip failover with a reason and see the trader's banner change, disable and enable a
// client (the trader is refused, then let back in), keyboard use, the CSP, axe, the JS budget.
import { mkdirSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import pg from "pg";
import { describe, expect, inject, it } from "vitest";
import { totpCode } from "../../scripts/fixtures.ts";
import { localSecrets } from "../../src/config/local-secrets.ts";
import { OPS_JS_BUDGET_BYTES, opsJsSizes } from "../../scripts/ui-size.ts";
import { hasChromium } from "./chromium.ts";
import {
	type BrowserClient,
	createBrowserClient,
	browserForFile,
	openPage,
	SCREENSHOTS,
	seriousViolations,
	setFailover,
	signIn,
	site,
	uid,
} from "./harness.ts";

/** The console at 1280 px (desktop) and 768 px (tablet): screenshots, no sideways scrolling, no serious axe finding. */
async function checkConsole(page: Page, name: string) {
	mkdirSync(SCREENSHOTS, { recursive: true });
	for (const width of [768, 1280]) {
		await page.setViewportSize({ width, height: 900 });
		const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
		expect(overflow, `${name} scrolls sideways at ${width} px`).toBeLessThanOrEqual(0);
		await page.screenshot({ path: `${SCREENSHOTS}/${name}-${width}.png`, fullPage: true });
	}
	await page.setViewportSize({ width: 1280, height: 900 });
	expect(await seriousViolations(page), `${name}: accessibility`).toEqual([]);
}

async function openConsole(browser: Browser): Promise<Page> {
	const page = await openPage(browser, 1280);
	await page.goto(`${site()}/ops/`);
	await page.getByRole("heading", { name: "Lifeboat ops console" }).waitFor();
	return page;
}

async function signInConsole(page: Page) {
	await page.getByLabel("Ops token").fill(localSecrets.OPS_TOKEN);
	await page.getByRole("button", { name: "Sign in" }).click();
	await page.getByTestId("operator").getByText("ops-token").waitFor();
}

/**
 * Both factors with the code of the next 30 s step: the sign-in just before used the current
 * step's code, and a code works once (the next step is within the one step of drift allowed).
 */
async function signInWithNextCode(page: Page, client: BrowserClient) {
	await page.getByLabel("Client ID").fill(client.clientId);
	await page.getByLabel("Password").fill(client.password);
	await page.getByRole("button", { name: "Continue" }).click();
	await page.getByLabel(/6-digit code/).fill(await totpCode(client.totpSecret, Math.floor(Date.now() / 1000) + 30));
	await page.getByRole("button", { name: "Verify code" }).click();
}

/** Runs an action through its confirmation dialog with a reason. */
async function confirmAction(page: Page, button: string, reason: string, confirm: string) {
	await page.getByRole("button", { name: button, exact: true }).click();
	const dialog = page.getByRole("dialog");
	await dialog.waitFor();
	await dialog.getByLabel(/Reason/).fill(reason);
	await dialog.getByRole("button", { name: confirm }).click();
	await dialog.waitFor({ state: "detached" });
}

describe.skipIf(!hasChromium)("ops console", () => {
	const browser = browserForFile({ failover: false });

	it("signs in with the ops token by keyboard alone, under the site's CSP, and reads the state", async () => {
		// No bypassCSP here: the page must run under the real policy (no inline scripts or styles).
		const context = await browser().newContext({ viewport: { width: 1280, height: 900 } });
		const page = await context.newPage();
		const cspErrors: string[] = [];
		page.on("console", (m) => {
			if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
		});
		await page.goto(`${site()}/ops/`);
		await page.getByRole("heading", { name: "Lifeboat ops console" }).waitFor();
		expect(await page.content()).not.toContain(localSecrets.OPS_TOKEN);
		await page.keyboard.press("Tab");
		expect(await page.evaluate(() => document.activeElement?.id)).toBe("ops-token");
		await page.keyboard.type(localSecrets.OPS_TOKEN);
		await page.keyboard.press("Enter");
		await page.getByTestId("operator").getByText("ops-token").waitFor();
		// Standby, or still fencing after an earlier file's failover (beforeAll switched it off).
		await page
			.getByTestId("failover-state")
			.getByText(/STANDBY|FENCING/)
			.waitFor();
		await page.getByTestId("oms-state").getByText("Reachable").waitFor();
		await page.getByRole("heading", { name: "Orders" }).waitFor();
		expect(cspErrors).toEqual([]);
		// The token lives in memory only: nothing in storage.
		expect(await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }))).not.toContain(
			localSecrets.OPS_TOKEN,
		);
		await context.close();
	});

	it("refuses a wrong token in plain words", async () => {
		const page = await openConsole(browser());
		await page.getByLabel("Ops token").fill("not-the-token");
		await page.getByRole("button", { name: "Sign in" }).click();
		await page.getByRole("alert").getByText("That ops token was not accepted.").waitFor();
		await checkConsole(page, "ops-sign-in");
	});

	it("flips failover on with a reason and the trader's banner changes; off again and back to automatic", async () => {
		const trader = await openPage(browser(), 360);
		const mode = trader.getByTestId("mode");
		await mode.getByText("main platform is working").waitFor();

		const page = await openConsole(browser());
		await signInConsole(page);
		// `wrangler dev` fires no cron: this starts the probe loop, so the console has probes to draw.
		await fetch(`${site()}/__scheduled`);
		await page.locator("figure.chart svg rect.up").first().waitFor({ timeout: 30_000 });

		await page.getByRole("button", { name: "Failover on", exact: true }).click();
		const dialog = page.getByRole("dialog");
		await dialog.waitFor();
		expect(await seriousViolations(page), "confirmation dialog: accessibility").toEqual([]);
		await page.screenshot({ path: `${SCREENSHOTS}/ops-confirm-1280.png` });
		// A reason is required: confirming without one does nothing.
		await dialog.getByRole("button", { name: "Turn failover on" }).click();
		expect(await dialog.isVisible()).toBe(true);
		await dialog.getByLabel(/Reason/).fill("browser test: primary order entry frozen");
		await dialog.getByRole("button", { name: "Turn failover on" }).click();
		await dialog.waitFor({ state: "detached" });
		await page.getByTestId("failover-state").getByText("ACTIVE").waitFor();
		await page.getByTestId("failover-reason").getByText("browser test: primary order entry frozen").waitFor();
		await mode.getByText("Lifeboat is active").waitFor({ timeout: 25_000 });
		// An order the relay gave up on: the console lists it under "Needing ops" with its client and reason.
		const failedClient = uid("F");
		const db = new pg.Client({ connectionString: inject("stackDatabaseUrl") });
		await db.connect();
		try {
			await db.query(
				`INSERT INTO orders (id, client_id, origin, exchange, symbol, side, quantity, order_type, product, status, reason, created_at)
				 VALUES ($1, $2, 'backup', 'NSE', 'INFY', 'SELL', 25, 'MARKET', 'MIS', 'FAILED', 'could not be relayed to the OMS after 8 attempt(s)', now() - interval '3 minutes')`,
				[uid("O"), failedClient],
			);
		} finally {
			await db.end();
		}
		await page.getByRole("button", { name: failedClient }).waitFor();
		await checkConsole(page, "ops-overview-active");

		await confirmAction(page, "Failover off", "browser test: primary back", "Turn failover off");
		await page
			.getByTestId("failover-state")
			.getByText(/FENCING|STANDBY/)
			.waitFor();
		await mode.getByText("main platform is working").waitFor({ timeout: 25_000 });
		await confirmAction(page, "Back to automatic", "browser test: probes decide again", "Back to automatic");
		await page.getByText("the health probes (automatic)").waitFor();
	});

	it("disables a client (its trader is refused) and enables it again", async () => {
		await setFailover(true);
		const client = await createBrowserClient([{ segment: "EQ", netQty: 40 }]);
		// Sign-ins from an address of this file's own: the browser files share 127.0.0.1's per-address limit.
		const ip = `10.17.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
		const trader = await openPage(browser(), 360, "light", ip);
		await signIn(trader, client);

		const page = await openConsole(browser());
		await signInConsole(page);
		await page.getByLabel("Client id").fill(client.clientId);
		await page.getByRole("button", { name: "Look up" }).click();
		await page.getByTestId("client-status").getByText("enabled").waitFor();
		await page.getByRole("cell", { name: client.positions[0]?.symbol ?? "?" }).waitFor();
		await checkConsole(page, "ops-client");

		await confirmAction(page, "Disable client", "browser test: account looks taken over", "Disable client");
		await page
			.getByTestId("client-status")
			.getByText(/DISABLED by ops-token \(browser test: account looks taken over\)/)
			.waitFor();
		// The trader's session is over: the next request is refused, and signing in again says why.
		expect(await trader.evaluate(() => fetch("/api/me").then((r) => r.status))).toBe(401);
		await trader.reload();
		await signInWithNextCode(trader, client);
		await trader.getByText(/switched off by your broker/).waitFor();

		await confirmAction(page, "Enable client", "browser test: client verified by phone", "Enable client");
		await page.getByTestId("client-status").getByText("enabled").waitFor();
		const again = await openPage(browser(), 360, "light", ip);
		await signInWithNextCode(again, client);
		await again.getByRole("heading", { name: new RegExp(client.name) }).waitFor();
		await setFailover(false);
	});

	it("ships at most 30 KB of gzipped JavaScript, apart from the trader UI", () => {
		const sizes = opsJsSizes();
		expect(sizes.length).toBeGreaterThan(0);
		expect(sizes.reduce((n, s) => n + s.gzip, 0)).toBeLessThanOrEqual(OPS_JS_BUDGET_BYTES);
	});
});
