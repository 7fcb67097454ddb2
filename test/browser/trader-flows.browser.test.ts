// The trader's whole journey through the real stack: sign in with a TOTP code, exit one
// position partly, exit all, cancel, survive a lost answer without a second exit, sign out.
// Each test has a client of its own; failover is on (exits are refused in standby).
// Needs the auth (issue 3) and trading (issues 4+5) routes: until they are merged these fail.
import type { Page, Request } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { itemAt } from "../../scripts/fixtures.ts";
import { hasChromium } from "./chromium.ts";
import {
	checkScreen,
	createBrowserClient,
	browserForFile,
	omsControl,
	openPage,
	orderRows,
	setFailover,
	signIn,
	waitForOrders,
} from "./harness.ts";

describe.skipIf(!hasChromium)("trader flows", () => {
	const browser = browserForFile({ failover: true });
	afterEach(async () => {
		await omsControl({ holdFills: false });
	});

	const positionCard = (page: Page, symbol: string) => page.locator(".position", { hasText: symbol });

	it("signs in with password and TOTP, shows positions, and signs out for good", async () => {
		const client = await createBrowserClient([{ segment: "EQ", netQty: 50 }]);
		const page = await openPage(browser(), 360);
		await signIn(page, client, () => checkScreen(page, "totp"));
		await positionCard(page, itemAt(client.positions, 0).symbol).waitFor();
		await page.getByText(/Positions as of \d\d:\d\d:\d\d/).waitFor();
		expect(await positionCard(page, itemAt(client.positions, 0).symbol).textContent()).toContain("50 long");
		await checkScreen(page, "positions");

		await page.getByRole("button", { name: "Sign out" }).click();
		await page.getByRole("heading", { name: "Sign in" }).waitFor();
		await page.getByText("You have signed out.").waitFor();
		// The session is gone server-side: the same browser is no longer let in.
		expect(await page.evaluate(() => fetch("/api/me").then((r) => r.status))).toBe(401);
		await page.reload();
		await page.getByRole("heading", { name: "Sign in" }).waitFor();
	});

	it("refuses a wrong TOTP code in plain words", async () => {
		const client = await createBrowserClient([]);
		const page = await openPage(browser(), 360);
		await page.getByLabel("Client ID").fill(client.clientId);
		await page.getByLabel("Password").fill(client.password);
		await page.getByRole("button", { name: "Continue" }).click();
		await page.getByLabel(/6-digit code/).fill("000000");
		await page.getByRole("button", { name: "Verify code" }).click();
		await page.getByRole("alert").getByText("That code was not accepted").waitFor();
	});

	it("exits one position partially with a confirmation, and sees the order complete", async () => {
		const client = await createBrowserClient([{ segment: "EQ", netQty: 50 }]);
		const symbol = itemAt(client.positions, 0).symbol;
		const page = await openPage(browser(), 360);
		await signIn(page, client);
		await page.getByRole("button", { name: `Exit ${symbol}` }).click();
		await page.getByLabel("Quantity to exit").fill("20");
		await checkScreen(page, "exit-form");
		await page.getByRole("button", { name: "Review exit" }).click();
		const summary = page.getByTestId("exit-summary");
		await summary.waitFor();
		expect(await summary.textContent()).toMatch(new RegExp(`SELL 20 ${symbol}.*at market.*1 order`));
		await checkScreen(page, "exit-confirm");
		await page.getByRole("button", { name: "Place exit" }).click();
		await page.getByText(/Exit accepted: 1 order placed/).waitFor();
		await page.getByRole("button", { name: "Close" }).click();

		await waitForOrders(page, 1, "COMPLETE");
		expect(itemAt(await orderRows(page), 0).text).toContain(`SELL 20 ${symbol}`);
		await page
			.getByTestId("announcer")
			.getByText(/complete/)
			.waitFor();
		// What is left: 30 of the 50.
		await positionCard(page, symbol).getByText("30 long").waitFor({ timeout: 30_000 });
		await checkScreen(page, "orders");
	});

	it("exits all: lists every order (shorts first, sliced at the freeze quantity) and sees each complete", async () => {
		const client = await createBrowserClient([
			{ segment: "FUT", netQty: 75 },
			{ segment: "OPT", optionType: "PE", netQty: 150 },
			{ segment: "OPT", optionType: "CE", netQty: -2250, freezeQty: 1800 },
		]);
		const symbolOf = (i: number) => itemAt(client.positions, i).symbol;
		const fut = symbolOf(0);
		const longPut = symbolOf(1);
		const shortCall = symbolOf(2);
		const page = await openPage(browser(), 1280);
		await signIn(page, client);
		await positionCard(page, shortCall).waitFor();
		await page.getByRole("button", { name: "Exit all" }).click();
		const plan = page.getByTestId("exit-all-plan").locator("li");
		await plan.first().waitFor();
		const lines = await plan.allTextContents();
		// The short leg first, sliced at the freeze quantity; then the longs (same underlying: any order).
		expect(lines.slice(0, 2)).toEqual([`BUY 1,800 ${shortCall} NFO`, `BUY 450 ${shortCall} NFO`]);
		expect(lines.slice(2).sort()).toEqual([`SELL 150 ${longPut} NFO`, `SELL 75 ${fut} NFO`]);
		await checkScreen(page, "exit-all-confirm");
		await page.getByRole("button", { name: "Place 4 orders" }).click();
		await page.getByText(/Exit all accepted: 4 orders placed/).waitFor();
		await page.getByRole("button", { name: "Close" }).click();
		await waitForOrders(page, 4, "COMPLETE");
		await page.getByText("You have no open positions.").waitFor({ timeout: 30_000 });
	});

	it("asks once more before exiting a long option that hedges an open short, and shows the hedge's legs waiting in exit all", async () => {
		const client = await createBrowserClient([
			{ segment: "OPT", optionType: "PE", netQty: 150 },
			{ segment: "OPT", optionType: "CE", netQty: -75 },
		]);
		const longPut = itemAt(client.positions, 0).symbol;
		await omsControl({ holdFills: true });
		const page = await openPage(browser(), 360);
		await signIn(page, client);
		await page.getByRole("button", { name: `Exit ${longPut}` }).click();
		await page.getByRole("button", { name: "Review exit" }).click();
		await page.getByRole("button", { name: "Place exit" }).click();
		await page.getByTestId("unhedge-warning").waitFor();
		expect(await page.getByTestId("unhedge-warning").textContent()).toContain("losses on the short are unlimited");
		await checkScreen(page, "unhedge-confirm");
		// Not answered: back out and exit all instead; the long leg waits for the short.
		await page.getByRole("button", { name: "Back" }).click();
		await page.getByRole("dialog").getByRole("button", { name: "Cancel", exact: true }).click();
		await page.getByRole("button", { name: "Exit all" }).click();
		await page.getByRole("button", { name: "Place 2 orders" }).click();
		await page.getByText(/Exit all accepted: 2 orders placed/).waitFor();
		await page.getByRole("button", { name: "Close" }).click();
		await page.getByText(/waiting for the short legs of/).waitFor({ timeout: 30_000 });
		await checkScreen(page, "orders-waiting-leg");
	});

	it("exits a long option without its hedge when the trader confirms it", async () => {
		const client = await createBrowserClient([
			{ segment: "OPT", optionType: "PE", netQty: 150 },
			{ segment: "OPT", optionType: "CE", netQty: -75 },
		]);
		const longPut = itemAt(client.positions, 0).symbol;
		const page = await openPage(browser(), 1280);
		await signIn(page, client);
		await page.getByRole("button", { name: `Exit ${longPut}` }).click();
		await page.getByRole("button", { name: "Review exit" }).click();
		await page.getByRole("button", { name: "Place exit" }).click();
		await page.getByRole("button", { name: "Exit anyway, without the hedge" }).click();
		await page.getByText(/Exit accepted: 1 order placed/).waitFor();
	});

	it("cancels one open order, then cancels all the rest", async () => {
		await omsControl({ holdFills: true });
		const client = await createBrowserClient([
			{ segment: "EQ", netQty: 10 },
			{ segment: "EQ", netQty: -5 },
		]);
		const page = await openPage(browser(), 360);
		await signIn(page, client);
		await page.getByRole("button", { name: "Exit all" }).click();
		await page.getByRole("button", { name: "Place 2 orders" }).click();
		await page.getByRole("button", { name: "Close" }).click();
		await waitForOrders(page, 2, "OPEN");

		const first = page.locator("[data-order-id]").first();
		await first.getByRole("button", { name: /^Cancel / }).click();
		await page.waitForFunction(() => document.querySelectorAll('[data-status="CANCELLED"]').length === 1, undefined, { timeout: 30_000 });

		await page.getByRole("button", { name: "Cancel all" }).click();
		await checkScreen(page, "cancel-all-confirm");
		await page.getByRole("button", { name: "Cancel 1 orders" }).click();
		await page.getByText(/Cancel requested for 1 orders/).waitFor();
		await page.getByRole("button", { name: "Close" }).click();
		await waitForOrders(page, 2, "CANCELLED");
	});

	it("shows the primary's pending exit order as covering part of the position, and cancels it", async () => {
		const client = await createBrowserClient([{ segment: "EQ", netQty: 10, primaryExit: 4 }]);
		const symbol = itemAt(client.positions, 0).symbol;
		const page = await openPage(browser(), 360);
		await signIn(page, client);
		const pendingExit = positionCard(page, symbol).locator("dt:has-text('Pending exit') + dd");
		await pendingExit.getByText("4", { exact: true }).waitFor();
		await waitForOrders(page, 1, "OPEN");
		const row = page.locator("[data-order-id]").first();
		await row.getByText(/Placed on the main platform/).waitFor();
		await checkScreen(page, "primary-pending-order");
		await page.getByRole("button", { name: `Exit ${symbol}` }).click();
		await page.getByText("Open to exit: 6").waitFor();
		await page.getByRole("dialog").getByRole("button", { name: "Cancel", exact: true }).click();

		await row.getByRole("button", { name: /^Cancel / }).click();
		await waitForOrders(page, 1, "CANCELLED");
		await pendingExit.getByText("none").waitFor({ timeout: 30_000 });
	});

	it("retries an exit whose answer was lost with the same Idempotency-Key, and places it once", async () => {
		const client = await createBrowserClient([{ segment: "EQ", netQty: 40 }]);
		const symbol = itemAt(client.positions, 0).symbol;
		const page = await openPage(browser(), 360);
		await signIn(page, client);
		const sent: Request[] = [];
		let dropped = false;
		await page.route("**/api/square-offs", async (route) => {
			sent.push(route.request());
			if (dropped) return route.continue();
			dropped = true;
			await route.fetch(); // the server takes the exit...
			await route.abort("connectionreset"); // ...but its answer never reaches the phone
		});
		await page.getByRole("button", { name: `Exit ${symbol}` }).click();
		await page.getByRole("button", { name: "Review exit" }).click();
		await page.getByRole("button", { name: "Place exit" }).dblclick();
		await page.getByText(/Exit accepted \(confirmed after the connection came back\): 1 order placed/).waitFor({ timeout: 20_000 });
		expect(sent.length).toBe(2);
		const keys = await Promise.all(sent.map((r) => r.headerValue("idempotency-key")));
		expect(keys[0]).toBeTruthy();
		expect(keys[1]).toBe(keys[0]);
		await page.getByRole("button", { name: "Close" }).click();
		await waitForOrders(page, 1, "COMPLETE");
		const me = await page.evaluate(() => fetch("/api/orders").then((r) => r.json()));
		expect((me as { orders: unknown[] }).orders).toHaveLength(1);
	});

	it("tells a trader in standby that exits are off and where to go", async () => {
		const client = await createBrowserClient([{ segment: "EQ", netQty: 5 }]);
		const page = await openPage(browser(), 360);
		await signIn(page, client);
		await setFailover(false);
		try {
			await page.getByTestId("mode").getByText("main platform is working").waitFor({ timeout: 25_000 });
			await page.getByText("Exits are off while the main platform is in charge.").waitFor();
			expect(await page.getByRole("button", { name: `Exit ${itemAt(client.positions, 0).symbol}` }).isDisabled()).toBe(true);
			expect(await page.getByRole("button", { name: "Exit all" }).isDisabled()).toBe(true);
			await checkScreen(page, "positions-standby");
		} finally {
			await setFailover(true);
		}
	});
});
