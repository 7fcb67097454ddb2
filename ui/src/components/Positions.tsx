import type { Position } from "../api";
import { ago, ageSeconds, clock, money, qty } from "../format";
import { t } from "../i18n";
import { openQty, pnl } from "../plan";

/** Without `onExit` the list is read-only (offline): no exit buttons at all. */
export function Positions(props: {
	data: { asOf: string; positions: Position[] } | null;
	staleAfterSeconds: number;
	canExit: boolean;
	onExit?: (p: Position) => void;
	onExitAll?: () => void;
}) {
	const { onExit, onExitAll } = props;
	const { data } = props;
	const age = data ? ageSeconds(data.asOf) : 0;
	const anyOpen = data?.positions.some((p) => openQty(p) > 0) ?? false;
	return (
		<section aria-labelledby="positions-title" aria-busy={!data}>
			<div class="section-head">
				<h2 id="positions-title">{t.positions}</h2>
				{onExitAll && (
					<button type="button" class="danger" disabled={!props.canExit || !anyOpen} onClick={onExitAll}>
						{t.exitAll}
					</button>
				)}
			</div>
			<p class="freshness" data-testid="positions-asof">
				{data ? t.positionsAsOf(clock(data.asOf)) : t.loadingPositions}
				{data && age > props.staleAfterSeconds && <strong class="warn">{t.positionsOld(ago(age))}</strong>}
			</p>
			{data && data.positions.length === 0 && <p>{t.noPositions}</p>}
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
								<dt>{t.netQty}</dt>
								<dd class={p.netQty < 0 ? "short" : "long"}>
									{qty(p.netQty)} {p.netQty < 0 ? t.short : t.long}
								</dd>
								<dt>{t.avgPrice}</dt>
								<dd>{money(p.avgPrice)}</dd>
								<dt>{t.ltp}</dt>
								<dd>{p.ltp ? money(p.ltp) : "–"}</dd>
								<dt>{t.pnl}</dt>
								<dd class={pl == null ? "" : pl < 0 ? "loss" : "profit"}>{pl == null ? "–" : money(pl)}</dd>
								<dt>{t.pendingExit}</dt>
								<dd>{p.pendingExitQty ? qty(p.pendingExitQty) : t.none}</dd>
							</dl>
							{onExit && (
								<button type="button" disabled={!props.canExit || open === 0} onClick={() => onExit(p)} aria-label={t.exitSymbol(p.symbol)}>
									{t.exit}
								</button>
							)}
						</li>
					);
				})}
			</ul>
		</section>
	);
}
