import { useState } from "preact/hooks";
import { ApiError, api, type ExitBody, type OrderType, type Position, type SquareOffResult } from "../api";
import { qty } from "../format";
import { t } from "../i18n";
import { useIntent } from "../intent";
import { problemSentence } from "../messages";
import { checkExit, exitLimits, exitSide, toPaise } from "../../../src/trading/rules";
import { openQty, slices } from "../plan";
import { IntentStatus } from "./IntentStatus";
import { CloseButton, Modal } from "./Modal";

/** Checks the form with the rules the Account applies, so the trader hears about mistakes before confirming. */
function check(p: Position, quantity: number, orderType: OrderType, price: string): string | null {
	if (!Number.isInteger(quantity) || quantity <= 0) return t.enterQty;
	const pricePaise = orderType === "LIMIT" ? toPaise(price) : undefined;
	if (pricePaise === null || pricePaise === 0) return t.enterPrice;
	const result = checkExit(exitLimits(p), openQty(p), { quantity, orderType, pricePaise });
	if (result.ok) return null;
	switch (result.refusal.code) {
		case "QTY_EXCEEDS_POSITION":
		case "NOTHING_TO_EXIT":
			return t.atMost(qty(openQty(p)));
		case "NOT_LOT_MULTIPLE":
			return t.lotMultiple(qty(p.lotSize));
		case "PRICE_NOT_ON_TICK":
			return t.tickMultiple(p.tickSize);
		case "PRICE_OUTSIDE_BAND":
			return t.bandRange(p.priceBandLow ?? "–", p.priceBandHigh ?? "–");
		default:
			return problemSentence(result.refusal.code);
	}
}

export function ExitDialog(props: { position: Position; offline: boolean; onClose: () => void; onPlaced: (r: SquareOffResult) => void }) {
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
		<Modal title={t.exitSymbol(p.symbol)} onClose={props.onClose}>
			{!review ? (
				<form onSubmit={toReview} noValidate>
					<p>
						{t.holding(
							p.netQty > 0,
							qty(Math.abs(p.netQty)),
							`${p.exchange} · ${p.product}`,
							qty(openQty(p)),
							p.lotSize > 1 ? qty(p.lotSize) : null,
						)}
					</p>
					<label for="exit-qty">{t.qtyToExit}</label>
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
							{t.all}
						</button>
					</div>
					<fieldset>
						<legend>{t.orderType}</legend>
						<label class="inline">
							<input type="radio" name="type" checked={orderType === "MARKET"} onChange={() => setOrderType("MARKET")} /> {t.marketLabel}
						</label>
						<label class="inline">
							<input type="radio" name="type" checked={orderType === "LIMIT"} onChange={() => setOrderType("LIMIT")} /> {t.limitLabel}
						</label>
					</fieldset>
					{orderType === "LIMIT" && (
						<>
							<label for="exit-price">{t.limitPrice(p.tickSize)}</label>
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
							{t.cancel}
						</button>
						<button type="submit" class="primary">
							{t.reviewExit}
						</button>
					</div>
				</form>
			) : (
				<div>
					<p class="confirm" data-testid="exit-summary">
						<strong class={side === "SELL" ? "sell" : "buy"}>{side}</strong> {qty(q)} {p.symbol} ({p.product}),{" "}
						{orderType === "MARKET" ? t.atMarket : t.limitAt(price)}
						{t.stop} {t.becomes} <strong>{t.nOrders(orders.length)}</strong>
						{t.becomesEnd}
						{orders.length > 1 && t.freezeSplit(orders.map((o) => qty(o.quantity)).join(" + "))}
						{t.stop}
					</p>
					{intent.state.phase === "done" ? (
						<>
							<p class="ok" role="status">
								{t.exitDone(intent.state.retried ? t.afterRetry : "", intent.state.result.orders.length)}
							</p>
							<div class="actions">
								<CloseButton onClose={props.onClose} />
							</div>
						</>
					) : (
						<>
							<IntentStatus state={intent.state} what={t.what.exit} onRetry={() => send()} offline={props.offline} />
							{wouldUnhedge && (
								<p class="error" data-testid="unhedge-warning">
									{t.unhedgeWarning}
								</p>
							)}
							<div class="actions">
								<button type="button" onClick={() => setReview(false)} disabled={intent.state.phase === "sending"}>
									{t.back}
								</button>
								{wouldUnhedge ? (
									<button type="button" class="danger" onClick={exitAnyway} disabled={props.offline}>
										{t.exitAnyway}
									</button>
								) : (
									<button type="button" class="danger" onClick={() => send()} disabled={props.offline || intent.state.phase === "sending"}>
										{t.placeExit}
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
