// The trader UI in Hindi and English (a visible switch, remembered in the browser, problem
// sentences included, numbers in lakh grouping in both) and in the dark scheme the device
// asks for: screenshots at 360 and 1280 px in both schemes, axe with no serious finding.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { itemAt, totpCode } from "../../scripts/fixtures.ts";
import { hasChromium } from "./chromium.ts";
import { type BrowserClient, checkScreen, createBrowserClient, browserForFile, openPage, signIn } from "./harness.ts";

describe.skipIf(!hasChromium)("language switch and dark mode", () => {
	const browser = browserForFile({ failover: true });

	const positionCard = (page: Page, symbol: string) => page.locator(".position", { hasText: symbol });

	async function signInHindi(page: Page, client: BrowserClient, code?: string) {
		await page.getByLabel("क्लाइंट आईडी").fill(client.clientId);
		await page.getByLabel("पासवर्ड").fill(client.password);
		await page.getByRole("button", { name: "आगे बढ़ें" }).click();
		await page.getByRole("heading", { name: "अपना कोड डालें" }).waitFor();
		await page.getByLabel(/6 अंकों का कोड/).fill(code ?? (await totpCode(client.totpSecret)));
		await page.getByRole("button", { name: "कोड जाँचें" }).click();
	}

	it("switches to Hindi and back, remembers the choice, and says problems and numbers in both", async () => {
		// 1,50,000 shares at 95.00 with the last price at 100.00: a P&L of 7,50,000.00.
		const client = await createBrowserClient([{ segment: "EQ", netQty: 150_000 }]);
		const symbol = itemAt(client.positions, 0).symbol;
		const page = await openPage(browser(), 360);
		await page.getByRole("heading", { name: "Sign in" }).waitFor();
		expect(await page.evaluate(() => document.documentElement.lang)).toBe("en");

		await page.getByRole("button", { name: /हिन्दी/ }).click();
		await page.getByRole("heading", { name: "साइन इन" }).waitFor();
		await page.getByTestId("mode").getByText("Lifeboat चालू है।").waitFor();
		expect(await page.evaluate(() => document.documentElement.lang)).toBe("hi");
		expect(await page.getByRole("button", { name: /English/ }).isVisible()).toBe(true);
		await checkScreen(page, "sign-in-hindi");

		// Remembered: a reload opens in Hindi.
		await page.reload();
		await page.getByRole("heading", { name: "साइन इन" }).waitFor();
		expect(await page.evaluate(() => localStorage.getItem("lifeboat.lang"))).toBe("hi");

		// A problem code's sentence in Hindi: a refused code.
		await signInHindi(page, client, "000000");
		await page.getByRole("alert").getByText("यह कोड स्वीकार नहीं हुआ").waitFor();

		await signInHindi(page, client);
		const card = positionCard(page, symbol);
		await card.waitFor();
		await page.getByRole("heading", { name: "पोज़ीशन", exact: true }).waitFor();
		await page.getByText(/\d\d:\d\d:\d\d की पोज़ीशन/).waitFor();
		const hindiCard = (await card.textContent()) ?? "";
		expect(hindiCard).toContain("1,50,000 लॉन्ग");
		expect(hindiCard).toContain("7,50,000.00");
		expect(hindiCard).toContain("नेट मात्रा");
		expect(await page.getByRole("button", { name: "सब एग्ज़िट करें" }).isEnabled()).toBe(true);
		await checkScreen(page, "positions-hindi");

		// The exit dialog in Hindi, with trading terms traders use.
		await page.getByRole("button", { name: `${symbol} एग्ज़िट करें` }).click();
		const dialog = page.getByRole("dialog");
		await dialog.getByText("एग्ज़िट के लिए खुला: 1,50,000").waitFor();
		expect(await dialog.getByLabel("MARKET").isChecked()).toBe(true);
		await checkScreen(page, "exit-dialog-hindi");
		await dialog.getByRole("button", { name: "कैंसल" }).click();

		// Back to English: same numbers, English words.
		await page.getByRole("button", { name: /English/ }).click();
		await page.getByRole("heading", { name: "Positions", exact: true }).waitFor();
		const englishCard = (await card.textContent()) ?? "";
		expect(englishCard).toContain("1,50,000 long");
		expect(englishCard).toContain("7,50,000.00");
		expect(await page.evaluate(() => [document.documentElement.lang, localStorage.getItem("lifeboat.lang")])).toEqual(["en", "en"]);
	});

	for (const scheme of ["light", "dark"] as const) {
		it(`follows the device's ${scheme} scheme, readable by axe at 360 and 1280 px`, async () => {
			const client = await createBrowserClient([
				{ segment: "EQ", netQty: 40 },
				{ segment: "FUT", netQty: -150, lotSize: 75 },
			]);
			const page = await openPage(browser(), 360, scheme);
			await page.getByRole("heading", { name: "Sign in" }).waitFor();
			const background = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
			expect(background).toBe(scheme === "dark" ? "rgb(17, 19, 22)" : "rgb(244, 245, 247)");
			await checkScreen(page, `sign-in-${scheme}`);

			await signIn(page, client);
			await positionCard(page, itemAt(client.positions, 1).symbol).waitFor();
			await checkScreen(page, `positions-${scheme}`);

			await page.getByRole("button", { name: `Exit ${itemAt(client.positions, 1).symbol}` }).click();
			await page.getByRole("dialog").getByLabel("Limit").check();
			await checkScreen(page, `exit-dialog-${scheme}`);
		});
	}
});
