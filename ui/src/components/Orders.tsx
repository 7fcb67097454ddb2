import { useState } from "preact/hooks";
import { api, type Order } from "../api";
import { clock, money, qty } from "../format";
import { t } from "../i18n";
import { useIntent } from "../intent";
import type { LiveMode } from "../live";
import { describeError } from "../messages";
import { IntentStatus } from "./IntentStatus";
import { CloseButton, Modal } from "./Modal";

const CANCELLABLE = new Set(["PENDING", "SENT", "OPEN"]);
export const isCancellable = (o: Order) => CANCELLABLE.has(o.status);
/** The primary's pending orders carry no square-off of ours. */
const fromPrimary = (o: Order) => o.squareOffId === null;

export const describeOrder = (o: Order) => `${o.side} ${qty(o.quantity)} ${o.symbol}: ${t.status[o.status]}`;

function OrderRow(props: { order: Order; offline: boolean; onChanged: (o: Order) => void }) {
	const o = props.order;
	const cancel = useIntent<{ order: Order }>();
	const send = () =>
		cancel.run(async (key) => {
			const r = await api.cancel(o.id, key);
			props.onChanged(r.order);
			return r;
		});
	return (
		<li class="card order" data-order-id={o.id} data-status={o.status}>
			<div class="order-line">
				<span>
					<strong class={o.side === "SELL" ? "sell" : "buy"}>{o.side}</strong> {qty(o.quantity)} {o.symbol}{" "}
					<span class="muted">
						{o.orderType === "LIMIT" && o.price ? t.limitAt(money(o.price)) : t.market} · {clock(o.createdAt)}
					</span>
				</span>
				<span class={`badge s-${o.status.toLowerCase()}`}>{t.status[o.status]}</span>
			</div>
			{o.filledQty > 0 && o.filledQty < o.quantity && <p class="muted">{t.filled(qty(o.filledQty), qty(o.quantity))}</p>}
			{o.reason && <p class="muted">{t.reason(o.reason)}</p>}
			{fromPrimary(o) && isCancellable(o) && <p class="muted">{t.fromPrimary}</p>}
			{isCancellable(o) && cancel.state.phase !== "done" && (
				<>
					<button
						type="button"
						onClick={send}
						disabled={props.offline || cancel.state.phase === "sending"}
						aria-label={t.cancelOrder(o.side, qty(o.quantity), o.symbol)}
					>
						{t.cancel}
					</button>
					{cancel.state.phase !== "idle" && (
						<IntentStatus state={cancel.state} what={t.what.cancel} onRetry={send} offline={props.offline} />
					)}
				</>
			)}
		</li>
	);
}

function CancelAllDialog(props: { count: number; offline: boolean; onClose: () => void; onChanged: (orders: Order[]) => void }) {
	const intent = useIntent<{ orders: Order[] }>();
	const send = () =>
		intent.run(async (key) => {
			const r = await api.cancelAll(key);
			props.onChanged(r.orders);
			return r;
		});
	return (
		<Modal title={t.cancelAllTitle} onClose={props.onClose}>
			{intent.state.phase === "done" ? (
				<>
					<p class="ok" role="status">
						{t.cancelRequested(intent.state.result.orders.length)}
					</p>
					<div class="actions">
						<CloseButton onClose={props.onClose} />
					</div>
				</>
			) : (
				<>
					<p>{t.cancelAllQuestion(props.count)}</p>
					<IntentStatus state={intent.state} what={t.what.cancelAll} onRetry={send} offline={props.offline} />
					<div class="actions">
						<button type="button" onClick={props.onClose}>
							{t.keepThem}
						</button>
						<button type="button" class="danger" onClick={send} disabled={props.offline || intent.state.phase === "sending"}>
							{t.cancelN(props.count)}
						</button>
					</div>
				</>
			)}
		</Modal>
	);
}

export function Orders(props: {
	orders: Order[] | null;
	live: LiveMode;
	error: unknown;
	offline: boolean;
	onChanged: (orders: Order[]) => void;
}) {
	const [confirmAll, setConfirmAll] = useState(false);
	const open = props.orders?.filter(isCancellable) ?? [];
	return (
		<section aria-labelledby="orders-title" aria-busy={!props.orders}>
			<div class="section-head">
				<h2 id="orders-title">{t.ordersTitle}</h2>
				<span class={`conn ${props.live}`} data-testid="live">
					{t.live[props.live]}
				</span>
				<button type="button" disabled={props.offline || open.length === 0} onClick={() => setConfirmAll(true)}>
					{t.cancelAll}
				</button>
			</div>
			{props.error != null && <p class="error">{describeError(props.error)}</p>}
			{props.orders && props.orders.length === 0 && <p>{t.noOrders}</p>}
			<ul class="cards">
				{!props.orders && <li class="card placeholder" aria-hidden="true" />}
				{props.orders?.map((o) => (
					<OrderRow key={o.id} order={o} offline={props.offline} onChanged={(x) => props.onChanged([x])} />
				))}
			</ul>
			{confirmAll && (
				<CancelAllDialog count={open.length} offline={props.offline} onClose={() => setConfirmAll(false)} onChanged={props.onChanged} />
			)}
		</section>
	);
}
