import { useState } from "preact/hooks";
import { ApiError, api, type ExitBody, type OrderType, type Position, type SquareOffResult } from "../api";
import { qty } from "../format";
import { useIntent } from "../intent";
import { checkExit, exitLimits, exitSide, toPaise } from "../../../src/trading/rules";
import { openQty, slices } from "../plan";
import { IntentStatus } from "./IntentStatus";
import { CloseButton, Modal } from "./Modal";

/** Checks the form with the rules the Account applies, so the trader hears about mistakes before confirming. */
function check(p: Position, quantity: number, orderType: OrderType, price: string): string | null {
	if (!Number.isInteger(quantity) || quantity <= 0) return "Enter a whole quantity above zero.";
	const pricePaise = orderType === "LIMIT" ? toPaise(price) : undefined;
	if (pricePaise === null || pricePaise === 0) return "Enter a price like 128.45.";
	const result = checkExit(exitLimits(p), openQty(p), { quantity, orderType, pricePaise });
	if (result.ok) return null;
	switch (result.refusal.code) {
		case "QTY_EXCEEDS_POSITION":
		case "NOTHING_TO_EXIT":
			return `You can exit at most ${qty(openQty(p))}.`;
		case "NOT_LOT_MULTIPLE":
			return `The quantity must be a multiple of the lot size, ${qty(p.lotSize)}.`;
		case "PRICE_NOT_ON_TICK":
			return `The price must be a multiple of the tick size, ${p.tickSize}.`;
		case "PRICE_OUTSIDE_BAND":
			return `Today's allowed range is ${p.priceBandLow} to ${p.priceBandHigh}.`;
		default:
			return result.refusal.detail;
	}
}

export function ExitDialog(props: { position: Position; onClose: () => void; onPlaced: (r: SquareOffResult) => void }) {
	const p = props.position;
	const [quantity, setQuantity] = useState(String(openQty(p)));
	const [orderType, setOrderType] = useState<OrderType>("MARKET");
	const [price, setPrice] = useState(p.ltp ?? "");
	const [review, setReview] = useState(false);
	const [problem, setProblem] = useState<string | null>(null);
	const intent = useIntent<SquareOffResult>();
	const q = Number(quantity);
	const side = exitSide(p.netQty);
	const body: ExitBody = { positionId: p.id, quantity: q, orderType, ...(orderType === "LIMIT" ? { price } : {}) };
	const orders = review ? slices(p, q) : [];
	const send = (allowUnhedged = false) =>
		intent.run(async (key) => {
			const r = await api.squareOff(allowUnhedged ? { ...body, allowUnhedged } : body, key);
			props.onPlaced(r);
			return r;
		});
	// The server refused to unhedge: asked once more, the trader's answer is a new intent (its own key).
	const wouldUnhedge =
		intent.state.phase === "failed" && intent.state.error instanceof ApiError && intent.state.error.code === "WOULD_UNHEDGE";
	const exitAnyway = () => {
		intent.reset();
		void send(true);
	};

	const toReview = (e: Event) => {
		e.preventDefault();
		const msg = check(p, q, orderType, price);
		setProblem(msg);
		if (!msg) {
			intent.reset();
			setReview(true);
		}
	};

	return (
		<Modal title={`Exit ${p.symbol}`} onClose={props.onClose}>
			{!review ? (
				<form onSubmit={toReview} noValidate>
					<p>
						{p.netQty > 0 ? "Long" : "Short"} {qty(Math.abs(p.netQty))} ({p.exchange} · {p.product}). Open to exit: {qty(openQty(p))}
						{p.lotSize > 1 && ` (lots of ${qty(p.lotSize)})`}.
					</p>
					<label for="exit-qty">Quantity to exit</label>
					<div class="row">
						<input
							id="exit-qty"
							inputMode="numeric"
							value={quantity}
							onInput={(e) => setQuantity(e.currentTarget.value)}
							aria-describedby="exit-problem"
							aria-invalid={problem ? true : undefined}
						/>
						<button type="button" onClick={() => setQuantity(String(openQty(p)))}>
							All
						</button>
					</div>
					<fieldset>
						<legend>Order type</legend>
						<label class="inline">
							<input type="radio" name="type" checked={orderType === "MARKET"} onChange={() => setOrderType("MARKET")} /> Market
						</label>
						<label class="inline">
							<input type="radio" name="type" checked={orderType === "LIMIT"} onChange={() => setOrderType("LIMIT")} /> Limit
						</label>
					</fieldset>
					{orderType === "LIMIT" && (
						<>
							<label for="exit-price">Limit price (tick {p.tickSize})</label>
							<input
								id="exit-price"
								inputMode="decimal"
								value={price}
								onInput={(e) => setPrice(e.currentTarget.value)}
								aria-describedby="exit-problem"
							/>
						</>
					)}
					<p id="exit-problem" class="error" role="alert">
						{problem}
					</p>
					<div class="actions">
						<button type="button" onClick={props.onClose}>
							Cancel
						</button>
						<button type="submit" class="primary">
							Review exit
						</button>
					</div>
				</form>
			) : (
				<div>
					<p class="confirm" data-testid="exit-summary">
						<strong class={side === "SELL" ? "sell" : "buy"}>{side}</strong> {qty(q)} {p.symbol} ({p.product}),{" "}
						{orderType === "MARKET" ? "at market" : `limit ${price}`}. This becomes{" "}
						<strong>
							{orders.length} {orders.length === 1 ? "order" : "orders"}
						</strong>
						{orders.length > 1 && ` (${orders.map((o) => qty(o.quantity)).join(" + ")}: the exchange's limit per order)`}.
					</p>
					{intent.state.phase === "done" ? (
						<>
							<p class="ok" role="status">
								Exit accepted{intent.state.retried ? " (confirmed after the connection came back)" : ""}:{" "}
								{intent.state.result.orders.length} {intent.state.result.orders.length === 1 ? "order" : "orders"} placed. Follow{" "}
								{intent.state.result.orders.length === 1 ? "it" : "them"} under Orders.
							</p>
							<div class="actions">
								<CloseButton onClose={props.onClose} />
							</div>
						</>
					) : (
						<>
							<IntentStatus state={intent.state} what="exit" onRetry={() => send()} />
							{wouldUnhedge && (
								<p class="error" data-testid="unhedge-warning">
									This long option protects a short option you still hold on the same underlying: without it, losses on the short are
									unlimited and your margin can jump. Exit the short first, or exit this one anyway.
								</p>
							)}
							<div class="actions">
								<button type="button" onClick={() => setReview(false)} disabled={intent.state.phase === "sending"}>
									Back
								</button>
								{wouldUnhedge ? (
									<button type="button" class="danger" onClick={exitAnyway}>
										Exit anyway, without the hedge
									</button>
								) : (
									<button type="button" class="danger" onClick={() => send()} disabled={intent.state.phase === "sending"}>
										Place exit
									</button>
								)}
							</div>
						</>
					)}
				</div>
			)}
		</Modal>
	);
}
