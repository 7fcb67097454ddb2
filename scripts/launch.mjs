// `node scripts/launch.mjs <script.ts> [args…]`: runs a TypeScript script (Node's type stripping)
// from any Node >= 18. A Node that strips types runs it in this process; an older one fetches
// Node 24 from the npm registry once (into $LIFEBOAT_NODE_DIR, default ~/.cache/lifeboat-node24)
// and runs the script under it, that node's bin dir first on PATH for the script's children.
// `--print-bin-dir` prints the bin dir of a node that will do, fetching it if need be (.ci/run).
// Plain JavaScript on purpose: it must run on the Node it stands in for. In-process, the target
// sees its own args in process.argv, but `import.meta.main` is false there: not for such scripts.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [major, minor] = process.versions.node.split(".").map(Number);
// Type stripping is on by default from Node 22.18 / 23.6, and `process.features.typescript` says so.
const stripsTypes = (major > 22 || (major === 22 && minor >= 12)) && Boolean(process.features.typescript);
const [target, ...args] = process.argv.slice(2);
const printBinDir = target === "--print-bin-dir";
const advice = "Lifeboat needs Node >= 22.18: install Node 24 (https://nodejs.org or `nvm install 24`) and run again";

if (!target) {
	console.error("usage: node scripts/launch.mjs <script.ts> [args…] | --print-bin-dir");
	process.exit(2);
}
if (stripsTypes && !printBinDir) {
	const file = resolve(target);
	process.argv = [process.argv[0], file, ...args];
	await import(pathToFileURL(file).href);
} else {
	const binDir = stripsTypes ? dirname(process.execPath) : await node24();
	if (printBinDir) console.log(binDir);
	else runUnder(binDir);
}

/** The bin dir of Node 24 from the npm registry's `node-<os>-<arch>` package, installed once. */
async function node24() {
	const os = { linux: "linux", darwin: "darwin" }[process.platform];
	const arch = { x64: "x64", arm64: "arm64" }[process.arch];
	if (!os || !arch) fail(`${advice} (no Node 24 package for ${process.platform}-${process.arch} to fetch)`);
	const pkg = `node-${os}-${arch}`;
	const dir = process.env.LIFEBOAT_NODE_DIR || join(homedir(), ".cache", "lifeboat-node24");
	const binDir = join(dir, "node_modules", pkg, "bin");
	if (existsSync(join(binDir, "node"))) return binDir;

	const started = Date.now();
	process.stderr.write(`Node ${process.versions.node} is too old for Lifeboat: fetching Node 24 (${pkg}) into ${dir} .`);
	const dots = setInterval(() => process.stderr.write("."), 1000);
	const code = await new Promise((done) => {
		// npm makes the folder. Short retry waits: offline, npm gives up in seconds instead of a minute.
		const npm = spawn(
			"npm",
			[
				"install",
				"--prefix",
				dir,
				"--no-save",
				"--no-audit",
				"--no-fund",
				"--fetch-retry-mintimeout=1000",
				"--fetch-retry-maxtimeout=4000",
				`${pkg}@24`,
			],
			{ stdio: "ignore" },
		);
		npm.on("error", (err) => done(err.code === "ENOENT" ? "npm not found" : err.code));
		npm.on("exit", (c) => done(c === 0 ? 0 : `npm exit ${c}`));
	});
	clearInterval(dots);
	if (code !== 0 || !existsSync(join(binDir, "node"))) fail(` failed (${code || "no node in the package"}). ${advice}`);
	process.stderr.write(` done in ${Math.round((Date.now() - started) / 1000)} s\n`);
	return binDir;
}

/** Runs the target under the node in `binDir`, passing signals on and its exit status back. */
function runUnder(binDir) {
	const env = { ...process.env, PATH: `${binDir}${delimiter}${process.env.PATH ?? ""}` };
	const child = spawn(join(binDir, "node"), [target, ...args], { stdio: "inherit", env });
	const signals = ["SIGINT", "SIGTERM", "SIGHUP"];
	for (const s of signals) process.on(s, () => child.kill(s));
	// npm does not always pass SIGTERM on to its script: when our parent goes away, so does the child.
	const parentPid = process.ppid;
	setInterval(() => process.ppid !== parentPid && child.kill("SIGTERM"), 500).unref();
	child.on("error", (err) => fail(`could not run ${join(binDir, "node")} (${err.code}). ${advice}`));
	child.on("exit", (code, signal) => {
		if (!signal) process.exit(code ?? 1);
		for (const s of signals) process.removeAllListeners(s);
		process.kill(process.pid, signal);
	});
}

function fail(line) {
	console.error(line);
	process.exit(1);
}
