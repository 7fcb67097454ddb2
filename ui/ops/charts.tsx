// Small inline SVG charts over the last hour (no chart library): a probe timeline per target
// (one bar per probe, height by latency, red when down) and the replication lag line. Each has
// a text summary beside it for readers who do not look at pictures.
const W = 600;
const H = 48;
const HOUR_MS = 3_600_000;

const xOf = (at: string, now: number) => Math.max(0, Math.min(W, W - ((now - Date.parse(at)) / HOUR_MS) * W));

export function ProbeTimeline(props: { target: string; points: { at: string; ok: boolean; latencyMs: number }[]; now: number }) {
	const { points, now } = props;
	const maxMs = Math.max(100, ...points.map((p) => p.latencyMs));
	const down = points.filter((p) => !p.ok).length;
	const last = points.at(-1);
	const summary = last
		? `Last probe ${last.ok ? "up" : "DOWN"}, ${last.latencyMs} ms; ${down} of ${points.length} probes down in the last hour`
		: "No probes in the last hour";
	return (
		<figure class="chart">
			<svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${props.target}: ${summary}`} preserveAspectRatio="none">
				<rect x="0" y="0" width={W} height={H} class="chart-bg" />
				{points.map((p) => {
					const h = p.ok ? Math.max(3, (p.latencyMs / maxMs) * (H - 4)) : H;
					return <rect key={p.at} x={xOf(p.at, now) - 1.5} y={H - h} width="3" height={h} class={p.ok ? "up" : "down"} />;
				})}
			</svg>
			<figcaption>
				<span class={last && !last.ok ? "bad" : undefined}>{summary}</span>
				<span class="axis">bar height: latency, up to {maxMs} ms · 60 min ago → now</span>
			</figcaption>
		</figure>
	);
}

export function LagChart(props: { history: { at: string; lagSeconds: number | null }[]; staleAfterSeconds: number; now: number }) {
	const { history, now, staleAfterSeconds } = props;
	const known = history.filter((h): h is { at: string; lagSeconds: number } => h.lagSeconds !== null);
	const maxS = Math.max(staleAfterSeconds * 1.2, ...known.map((h) => h.lagSeconds));
	const y = (s: number) => H - (s / maxS) * (H - 2) - 1;
	const line = known.map((h) => `${xOf(h.at, now).toFixed(1)},${y(h.lagSeconds).toFixed(1)}`).join(" ");
	const worst = known.reduce((m, h) => Math.max(m, h.lagSeconds), 0);
	const summary = known.length
		? `Worst lag in the last hour ${worst} s (stale above ${staleAfterSeconds} s); ${history.length - known.length} samples unknown`
		: history.length
			? `Lag unknown in all ${history.length} samples (nothing replicated yet, or Postgres away)`
			: "No lag samples in the last hour";
	return (
		<figure class="chart">
			<svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Replication lag: ${summary}`} preserveAspectRatio="none">
				<rect x="0" y="0" width={W} height={H} class="chart-bg" />
				<line x1="0" x2={W} y1={y(staleAfterSeconds)} y2={y(staleAfterSeconds)} class="threshold" />
				{known.length > 1 && <polyline points={line} class="lag" />}
				{known.length === 1 && known[0] && <circle cx={xOf(known[0].at, now)} cy={y(known[0].lagSeconds)} r="2.5" class="lag-dot" />}
			</svg>
			<figcaption>
				<span>{summary}</span>
				<span class="axis">dashed: stale threshold · 60 min ago → now</span>
			</figcaption>
		</figure>
	);
}
