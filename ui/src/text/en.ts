// Every sentence of the trader UI in English. The Hindi table (hi.ts) has this type, so a
// sentence added here fails to compile until it is translated. Numbers arrive formatted.
import type { OrderStatus } from "../../../src/contract";
import type { LiveMode } from "../live";

const orders = (n: number) => (n === 1 ? "order" : "orders");

export const en = {
	/** The switch shows the other language's name, in that language. */
	switchTo: "हिन्दी",
	switchLabel: "भाषा बदलें: हिन्दी / Change language to Hindi",
	seconds: (n: number) => `${n} s`,
	minutes: (n: number) => `${n} min`,
	loading: "Loading…",

	// Banner
	offline: "You are offline.",
	offlineDetail: "Showing what you last saw. Nothing can be placed or cancelled until the connection is back.",
	unreachable: "Lifeboat cannot be reached right now. Retrying…",
	checking: "Checking who is in charge…",
	activeTitle: "Lifeboat is active.",
	activeBody: "Your broker's main platform is down: you can exit your positions here.",
	standbyTitle: "Your broker's main platform is working.",
	standbyBody: "Trade there. Here you can sign in and look; exits open only during an outage.",
	openMain: "Open the main platform",
	omsDownTitle: "Exits cannot reach the exchange right now.",
	omsDownBody: (since: string | null) =>
		`Your broker's order system is not answering${since ? ` (since ${since})` : ""}. New exits are paused until it answers again; exits you already placed are kept, and you can still cancel them.`,
	dataAsOf: (time: string) => `Data as of ${time}`,
	dataTimeUnknown: "Data time unknown",
	dataBehind: (age: string) => ` · Warning: data is ${age} behind. Positions may have changed.`,
	newVersion: "A new version of Lifeboat is ready.",
	reload: "Reload",

	// Sign-in
	signInTitle: "Sign in",
	codeTitle: "Enter your code",
	clientId: "Client ID",
	password: "Password",
	codeLabel: "6-digit code from your authenticator app",
	checkingCredentials: "Checking…",
	verifyCode: "Verify code",
	continue: "Continue",
	startAgain: "Start again",
	signedOut: "You have signed out.",
	signOut: "Sign out",

	// Positions
	exitsOff: "Exits are off while the main platform is in charge.",
	positions: "Positions",
	exitAll: "Exit all",
	positionsAsOf: (time: string) => `Positions as of ${time}`,
	loadingPositions: "Loading positions…",
	positionsOld: (age: string) => ` · Warning: ${age} old. Check before you exit.`,
	noPositions: "You have no open positions.",
	netQty: "Net qty",
	long: "long",
	short: "short",
	avgPrice: "Avg price",
	ltp: "LTP",
	pnl: "P&L",
	pendingExit: "Pending exit",
	none: "none",
	exit: "Exit",
	exitSymbol: (symbol: string) => `Exit ${symbol}`,
	offlinePositions: (time: string) =>
		`Offline: these are the positions you last saw, as of ${time}. They may have changed since. Nothing can be placed or cancelled until the connection is back.`,

	// Orders
	ordersTitle: "Orders",
	cancelAll: "Cancel all",
	noOrders: "No orders today.",
	status: {
		PENDING: "accepted",
		SENT: "sent to exchange",
		OPEN: "open at exchange",
		COMPLETE: "complete",
		REJECTED: "rejected",
		CANCELLED: "cancelled",
		FAILED: "failed: the help desk is told",
	} satisfies Record<OrderStatus, string>,
	live: { connecting: "Connecting…", live: "Live", polling: "Reconnecting: updating every 5 s" } satisfies Record<LiveMode, string>,
	limitAt: (price: string) => `limit ${price}`,
	market: "market",
	filled: (done: string, of: string) => `Filled ${done} of ${of}`,
	reason: (why: string) => `Reason: ${why}`,
	fromPrimary: "Placed on the main platform before it went down: still live at the exchange, so it can fill.",
	cancel: "Cancel",
	cancelOrder: (side: string, quantity: string, symbol: string) => `Cancel ${side} ${quantity} ${symbol}`,
	cancelAllTitle: "Cancel all open orders",
	cancelRequested: (n: number) => `Cancel requested for ${n} orders. Their status updates below.`,
	cancelAllQuestion: (n: number) => `Cancel all ${n} orders that are not yet complete? Positions they were exiting stay open.`,
	keepThem: "Keep them",
	cancelN: (n: number) => `Cancel ${n} orders`,

	// Exits
	exitsPlaced: (n: number) => `${n} exit ${orders(n)} placed.`,
	exitAllTitle: "Exit all positions",
	exitAllPlan: (n: number) => `These ${n} market orders will be placed, shorts first (so no short option is left without its hedge):`,
	afterRetry: " (confirmed after the connection came back)",
	exitAllDone: (retried: string, n: number) => `Exit all accepted${retried}: ${n} orders placed. Follow them under Orders.`,
	placeN: (n: number) => `Place ${n} ${orders(n)}`,
	enterQty: "Enter a whole quantity above zero.",
	enterPrice: "Enter a price like 128.45.",
	atMost: (open: string) => `You can exit at most ${open}.`,
	lotMultiple: (lot: string) => `The quantity must be a multiple of the lot size, ${lot}.`,
	tickMultiple: (tick: string) => `The price must be a multiple of the tick size, ${tick}.`,
	bandRange: (low: string, high: string) => `Today's allowed range is ${low} to ${high}.`,
	holding: (long: boolean, quantity: string, where: string, open: string, lot: string | null) =>
		`${long ? "Long" : "Short"} ${quantity} (${where}). Open to exit: ${open}${lot ? ` (lots of ${lot})` : ""}.`,
	qtyToExit: "Quantity to exit",
	all: "All",
	orderType: "Order type",
	marketLabel: "Market",
	limitLabel: "Limit",
	limitPrice: (tick: string) => `Limit price (tick ${tick})`,
	reviewExit: "Review exit",
	atMarket: "at market",
	becomes: "This becomes",
	becomesEnd: "",
	/** The full stop: "." in English, "।" in Hindi. */
	stop: ".",
	nOrders: (n: number) => `${n} ${orders(n)}`,
	freezeSplit: (parts: string) => ` (${parts}: the exchange's limit per order)`,
	exitDone: (retried: string, n: number) =>
		`Exit accepted${retried}: ${n} ${orders(n)} placed. Follow ${n === 1 ? "it" : "them"} under Orders.`,
	unhedgeWarning:
		"This long option protects a short option you still hold on the same underlying: without it, losses on the short are unlimited and your margin can jump. Exit the short first, or exit this one anyway.",
	back: "Back",
	exitAnyway: "Exit anyway, without the hedge",
	placeExit: "Place exit",
	close: "Close",

	// What a request is, inside the sentences about sending it
	what: { exit: "exit", exitAll: "exit all", cancel: "cancel", cancelAll: "cancel all" },
	retrying: (what: string, n: number) =>
		`The connection dropped. Checking whether your ${what} was accepted: retry ${n}, with the same request, so it cannot be placed twice…`,
	sending: (what: string) => `Sending your ${what}…`,
	unknownOutcome: (what: string) =>
		`We could not reach Lifeboat, so we cannot yet tell whether your ${what} was accepted. Press Retry: it resends the same request and can never place it twice.`,
	retry: "Retry",

	// Errors without a problem code
	networkError: "Lifeboat could not be reached. Check your connection and try again.",
	requestFailed: (status: number) => `The request failed (${status}).`,
	unexpected: "Something unexpected happened. Reload the page and try again.",
};

export type Words = typeof en;
