import type { Position } from "../api";
import { ago, ageSeconds, clock, money, qty } from "../format";
import { openQty, pnl } from "../plan";

export function Positions(props: {
	data: { asOf: string; positions: Position[] } | null;
	staleAfterSeconds: number;
	canExit: boolean;
	onExit: (p: Position) => void;
	onExitAll: () => void;
}) {
	const { data } = props;
	const age = data ? ageSeconds(data.asOf) : 0;
	const anyOpen = data?.positions.some((p) => openQty(p) > 0) ?? false;
	return (
		<section aria-labelledby="positions-title" aria-busy={!data}>
			<div class="section-head">
				<h2 id="positions-title">Positions</h2>
				<button type="button" class="danger" disabled={!props.canExit || !anyOpen} onClick={props.onExitAll}>
					Exit all
				</button>
			</div>
			<p class="freshness" data-testid="positions-asof">
				{data ? `Positions as of ${clock(data.asOf)}` : "Loading positions…"}
				{data && age > props.staleAfterSeconds && <strong class="warn"> · Warning: {ago(age)} old. Check before you exit.</strong>}
			</p>
			{data && data.positions.length === 0 && <p>You have no open positions.</p>}
			<ul class="cards">
				{!data && <li class="card placeholder" aria-hidden="true" />}
				{data?.positions.map((p) => {
					const pl = pnl(p);
					const open = openQty(p);
					return (
						<li class="card position" key={p.id} data-position-id={p.id}>
							<h3>
								{p.symbol}{" "}
								<span class="muted">
									{p.exchange} · {p.product}
								</span>
							</h3>
							<dl>
								<dt>Net qty</dt>
								<dd class={p.netQty < 0 ? "short" : "long"}>
									{qty(p.netQty)} {p.netQty < 0 ? "short" : "long"}
								</dd>
								<dt>Avg price</dt>
								<dd>{money(p.avgPrice)}</dd>
								<dt>LTP</dt>
								<dd>{p.ltp ? money(p.ltp) : "–"}</dd>
								<dt>P&amp;L</dt>
								<dd class={pl == null ? "" : pl < 0 ? "loss" : "profit"}>{pl == null ? "–" : money(pl)}</dd>
								<dt>Pending exit</dt>
								<dd>{p.pendingExitQty ? qty(p.pendingExitQty) : "none"}</dd>
							</dl>
							<button type="button" disabled={!props.canExit || open === 0} onClick={() => props.onExit(p)} aria-label={`Exit ${p.symbol}`}>
								Exit
							</button>
						</li>
					);
				})}
			</ul>
		</section>
	);
}
