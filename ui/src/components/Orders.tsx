import { useState } from "preact/hooks";
import { api, type Order } from "../api";
import { clock, money, qty } from "../format";
import { useIntent } from "../intent";
import type { LiveMode } from "../live";
import { describeError } from "../messages";
import { IntentStatus } from "./IntentStatus";
import { CloseButton, Modal } from "./Modal";

const CANCELLABLE = new Set(["PENDING", "SENT", "OPEN"]);
export const isCancellable = (o: Order) => CANCELLABLE.has(o.status);
/** The primary's pending orders carry no square-off of ours. */
const fromPrimary = (o: Order) => o.squareOffId === null;

const statusWords: Record<Order["status"], string> = {
	PENDING: "accepted",
	SENT: "sent to exchange",
	OPEN: "open at exchange",
	COMPLETE: "complete",
	REJECTED: "rejected",
	CANCELLED: "cancelled",
	FAILED: "failed: the help desk is told",
};

export const describeOrder = (o: Order) => `${o.side} ${qty(o.quantity)} ${o.symbol}: ${statusWords[o.status]}`;

function OrderRow(props: { order: Order; onChanged: (o: Order) => void }) {
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
						{o.orderType === "LIMIT" && o.price ? `limit ${money(o.price)}` : "market"} · {clock(o.createdAt)}
					</span>
				</span>
				<span class={`badge s-${o.status.toLowerCase()}`}>{statusWords[o.status]}</span>
			</div>
			{o.filledQty > 0 && o.filledQty < o.quantity && (
				<p class="muted">
					Filled {qty(o.filledQty)} of {qty(o.quantity)}
				</p>
			)}
			{o.reason && <p class="muted">Reason: {o.reason}</p>}
			{fromPrimary(o) && isCancellable(o) && (
				<p class="muted">Placed on the main platform before it went down: still live at the exchange, so it can fill.</p>
			)}
			{isCancellable(o) && cancel.state.phase !== "done" && (
				<>
					<button
						type="button"
						onClick={send}
						disabled={cancel.state.phase === "sending"}
						aria-label={`Cancel ${o.side} ${o.quantity} ${o.symbol}`}
					>
						Cancel
					</button>
					{cancel.state.phase !== "idle" && <IntentStatus state={cancel.state} what="cancel" onRetry={send} />}
				</>
			)}
		</li>
	);
}

function CancelAllDialog(props: { count: number; onClose: () => void; onChanged: (orders: Order[]) => void }) {
	const intent = useIntent<{ orders: Order[] }>();
	const send = () =>
		intent.run(async (key) => {
			const r = await api.cancelAll(key);
			props.onChanged(r.orders);
			return r;
		});
	return (
		<Modal title="Cancel all open orders" onClose={props.onClose}>
			{intent.state.phase === "done" ? (
				<>
					<p class="ok" role="status">
						Cancel requested for {intent.state.result.orders.length} orders. Their status updates below.
					</p>
					<div class="actions">
						<CloseButton onClose={props.onClose} />
					</div>
				</>
			) : (
				<>
					<p>Cancel all {props.count} orders that are not yet complete? Positions they were exiting stay open.</p>
					<IntentStatus state={intent.state} what="cancel all" onRetry={send} />
					<div class="actions">
						<button type="button" onClick={props.onClose}>
							Keep them
						</button>
						<button type="button" class="danger" onClick={send} disabled={intent.state.phase === "sending"}>
							Cancel {props.count} orders
						</button>
					</div>
				</>
			)}
		</Modal>
	);
}

const liveWords: Record<LiveMode, string> = {
	connecting: "Connecting…",
	live: "Live",
	polling: "Reconnecting: updating every 5 s",
};

export function Orders(props: { orders: Order[] | null; live: LiveMode; error: unknown; onChanged: (orders: Order[]) => void }) {
	const [confirmAll, setConfirmAll] = useState(false);
	const open = props.orders?.filter(isCancellable) ?? [];
	return (
		<section aria-labelledby="orders-title" aria-busy={!props.orders}>
			<div class="section-head">
				<h2 id="orders-title">Orders</h2>
				<span class={`conn ${props.live}`} data-testid="live">
					{liveWords[props.live]}
				</span>
				<button type="button" disabled={open.length === 0} onClick={() => setConfirmAll(true)}>
					Cancel all
				</button>
			</div>
			{props.error != null && <p class="error">{describeError(props.error)}</p>}
			{props.orders && props.orders.length === 0 && <p>No orders today.</p>}
			<ul class="cards">
				{!props.orders && <li class="card placeholder" aria-hidden="true" />}
				{props.orders?.map((o) => (
					<OrderRow key={o.id} order={o} onChanged={(x) => props.onChanged([x])} />
				))}
			</ul>
			{confirmAll && <CancelAllDialog count={open.length} onClose={() => setConfirmAll(false)} onChanged={props.onChanged} />}
		</section>
	);
}
