// The parts of the page that need no sign-in: the sign-in screen, the banner that says who
// is in charge (and flips with failover) and whether exits can reach the exchange (the OMS),
// the data-freshness warning, the JS budget.
import pg from "pg";
import { describe, expect, inject, it } from "vitest";
import { JS_BUDGET_BYTES, uiJsSizes } from "../../scripts/ui-size.ts";
import { hasChromium } from "./chromium.ts";
import { checkScreen, browserForFile, omsControl, openPage, setFailover, site } from "./harness.ts";

/** What the page records of each layout shift: its score and what moved, in words. */
type ShiftLog = { value: number; moved: string[] }[];

interface LayoutShift {
	value: number;
	hadRecentInput: boolean;
	sources: { node: Node | null; previousRect: DOMRectReadOnly; currentRect: DOMRectReadOnly }[];
}

describe.skipIf(!hasChromium)("status banner and sign-in screen", () => {
	const browser = browserForFile();

	it("shows the sign-in screen, usable at 360 and 1280 px, with no serious accessibility violation", async () => {
		await setFailover(false);
		const page = await openPage(browser(), 360);
		await page.getByRole("heading", { name: "Sign in" }).waitFor();
		await page.getByTestId("mode").getByText("main platform is working").waitFor();
		expect(await page.getByLabel("Client ID").isVisible()).toBe(true);
		expect(await page.getByLabel("Password").getAttribute("type")).toBe("password");
		await checkScreen(page, "sign-in");
	});

	it("reaches every sign-in control by keyboard alone, in order", async () => {
		const page = await openPage(browser(), 360);
		await page.getByLabel("Client ID").waitFor();
		const focused: string[] = [];
		for (let i = 0; i < 3; i++) {
			await page.keyboard.press("Tab");
			focused.push(await page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent || ""));
		}
		expect(focused).toEqual(["clientId", "password", "Continue"]);
	});

	it("changes the banner without a reload when failover switches on and off", async () => {
		await setFailover(false);
		const page = await openPage(browser(), 360);
		const mode = page.getByTestId("mode");
		await mode.getByText("main platform is working").waitFor();
		await setFailover(true);
		await mode.getByText("Lifeboat is active").waitFor({ timeout: 25_000 });
		expect(await page.locator("header.banner").getAttribute("class")).toContain("active");
		await checkScreen(page, "banner-active");
		await setFailover(false);
		await mode.getByText("main platform is working").waitFor({ timeout: 25_000 });
		expect(await page.locator("header.banner").getAttribute("class")).toContain("standby");
	});

	it("says exits cannot reach the exchange while the OMS is unreachable, and stops once it answers", async () => {
		await setFailover(true);
		// `wrangler dev` fires no cron: this starts the Failover object's probe loop (which also probes the OMS).
		await fetch(`${site()}/__scheduled`);
		const page = await openPage(browser(), 360);
		await page.getByTestId("mode").getByText("Lifeboat is active").waitFor();
		const banner = page.getByTestId("oms");
		try {
			await omsControl({ mode: "error" });
			// Two failed health probes (10 s, then 5 s apart), then the page's next status poll (every 10 s).
			await banner.getByText("Exits cannot reach the exchange right now").waitFor({ timeout: 45_000 });
			expect(await banner.textContent()).toMatch(/not answering \(since \d\d:\d\d:\d\d\)\. New exits are paused/);
			await checkScreen(page, "oms-unreachable");
		} finally {
			await omsControl({ mode: "accept" });
		}
		await banner.waitFor({ state: "detached", timeout: 45_000 });
		await setFailover(false);
	});

	it("warns when the replicated data is older than the staleness limit", async () => {
		const db = new pg.Client({ connectionString: inject("stackDatabaseUrl") });
		await db.connect();
		try {
			await db.query(
				`INSERT INTO replication_cursor (source, lsn, source_ts_ms) VALUES ('browser-stale', 1, $1)
				 ON CONFLICT (source) DO UPDATE SET source_ts_ms = excluded.source_ts_ms`,
				[Date.now() - 10 * 60_000],
			);
			const page = await openPage(browser(), 360);
			const freshness = page.getByTestId("freshness");
			await freshness.getByText(/Data as of \d\d:\d\d:\d\d/).waitFor();
			await freshness.getByText(/Warning: data is 10 min behind/).waitFor();
			await checkScreen(page, "stale-warning");
		} finally {
			await db.query("DELETE FROM replication_cursor WHERE source = 'browser-stale'");
			await db.end();
		}
	});

	it("does not shift the layout while the status arrives, however late it comes", async () => {
		for (const width of [360, 1280]) {
			const context = await browser().newContext({ viewport: { width, height: 780 } });
			const page = await context.newPage();
			// Shifts counted from the first paint; the status held back so the page paints without it first.
			await page.addInitScript(() => {
				const w = window as unknown as { shifts: ShiftLog };
				w.shifts = [];
				new PerformanceObserver((list) => {
					for (const e of list.getEntries() as (PerformanceEntry & LayoutShift)[])
						if (!e.hadRecentInput)
							w.shifts.push({
								value: e.value,
								moved: e.sources.map(
									(s) => `${s.node?.textContent?.slice(0, 40)}: ${JSON.stringify(s.previousRect)} -> ${JSON.stringify(s.currentRect)}`,
								),
							});
				}).observe({ type: "layout-shift", buffered: true });
			});
			await page.route("**/api/status", async (route) => {
				await new Promise((r) => setTimeout(r, 700));
				await route.continue();
			});
			await page.goto(site());
			await page.getByTestId("mode").getByText("Checking who is in charge").waitFor();
			await page.getByTestId("mode").getByText("main platform is working").waitFor();
			await page.waitForTimeout(300);
			const shifts = await page.evaluate(() => (window as unknown as { shifts: ShiftLog }).shifts);
			await context.close();
			const total = shifts.reduce((n, s) => n + s.value, 0);
			expect(total, `layout shift at ${width} px: ${JSON.stringify(shifts, null, 1)}`).toBeLessThan(0.01);
		}
	});

	it("ships at most 25 KB of gzipped JavaScript", () => {
		const sizes = uiJsSizes();
		expect(sizes.length).toBeGreaterThan(0);
		expect(sizes.reduce((n, s) => n + s.gzip, 0)).toBeLessThanOrEqual(JS_BUDGET_BYTES);
	});
});
