// Percentiles and their formatting, for the report's tables and the Workers benches
// (runtime-neutral: bench/workers imports it too).

/** The p-th percentile (nearest rank) of xs; NaN for none. */
export const pct = (xs: number[], p: number) => {
	if (xs.length === 0) return Number.NaN;
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
};

export const ms = (x: number) => (Number.isNaN(x) ? "-" : `${Math.round(x)} ms`);

/** "p50 / p95 / p99" of a set of latencies. */
export const spread = (xs: number[]) => [50, 95, 99].map((p) => ms(pct(xs, p))).join(" / ");

/** The goals table of a report: each goal, what was measured, and whether it was met. */
export const goalTable = (goals: readonly (readonly [string, string, boolean])[]) =>
	["| goal | measured | met |", "|---|---|---|", ...goals.map(([g, v, ok]) => `| ${g} | ${v} | ${ok ? "yes" : "**no**"} |`)].join("\n");
