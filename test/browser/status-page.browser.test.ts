// The public status page in Chromium through the whole stack (wrangler dev with the assets
// layer, which must let the Worker answer /status): read with JavaScript off, its style allowed
// by its own CSP, in both languages and both colour schemes, reached from the UI's banner.
import { describe, expect, it } from "vitest";
import { hasChromium } from "./chromium.ts";
import { checkScreen, browserForFile, openPage, setFailover, site } from "./harness.ts";

describe.skipIf(!hasChromium)("public status page", () => {
	const browser = browserForFile();

	it("reads with JavaScript off, styled under its own CSP, and follows Lifeboat's mode", async () => {
		// A file before this one may have left Lifeboat fencing (an order of its still in flight): the page
		// says what the site says, before or after the page was read (the fence may end meanwhile).
		const phase = async () => ((await (await fetch(`${site()}/api/status`)).json()) as { failback: { phase: string } }).failback.phase;
		const before = await phase();
		const expected: Record<string, string> = {
			standby: "The primary trading platform is in charge",
			fencing: "The primary trading platform is coming back",
			active: "Lifeboat is ON",
		};
		const context = await browser().newContext({ javaScriptEnabled: false, viewport: { width: 360, height: 780 } });
		const page = await context.newPage();
		const res = await page.goto(`${site()}/status`);
		expect(res?.status()).toBe(200);
		const said = (await page.locator("p.state").textContent()) ?? "";
		const after = await phase();
		expect(
			[before, after].some((p) => said.includes(expected[p] ?? "?")),
			`${said} (${before}, then ${after})`,
		).toBe(true);
		// The inline style sheet applied: the CSP's hash matches it.
		const border = await page.locator("p.state").evaluate((el) => getComputedStyle(el).borderLeftWidth);
		expect(Number.parseFloat(border)).toBeGreaterThan(0);
		expect(await page.getByRole("link", { name: "Sign in to square off" }).getAttribute("href")).toBe("/");

		await setFailover(true);
		await page.reload();
		expect(await page.locator("p.state").textContent()).toContain("Lifeboat is ON");
		expect(await page.getByRole("cell", { name: "Still on" }).count()).toBe(1);
		const hindi = await page.getByRole("link", { name: "हिन्दी" }).getAttribute("href");
		await page.goto(new URL(hindi ?? "", page.url()).toString());
		expect(await page.locator("html").getAttribute("lang")).toBe("hi");
		expect(await page.locator("p.state").textContent()).toContain("Lifeboat चालू है।");
		await context.close();
	});

	it("passes axe at 360 and 1280 px in the light and the dark scheme, in English and Hindi", async () => {
		for (const colorScheme of ["light", "dark"] as const) {
			for (const lang of ["en", "hi"]) {
				const context = await browser().newContext({ colorScheme, viewport: { width: 360, height: 780 }, bypassCSP: true });
				const page = await context.newPage();
				await page.goto(`${site()}/status?lang=${lang}`);
				await checkScreen(page, `status-page-${lang}-${colorScheme}`);
				await context.close();
			}
		}
	});

	it("is linked from the UI's banner", async () => {
		const page = await openPage(browser(), 360);
		await page.getByTestId("status-page").click();
		await page.waitForURL(`${site()}/status?lang=en`);
		expect(await page.locator("h1").textContent()).toContain("the broker's backup site");
		await page.context().close();
	});
});
