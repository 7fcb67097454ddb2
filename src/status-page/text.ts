// Every sentence of the public status page (and of /api/status's reason), in English and Hindi.
// The Hindi uses the words Indian brokers' own Hindi pages use (स्क्वेयर ऑफ़, पोज़िशन, ऑर्डर).
import { assertNever, type FailoverState } from "../contract";

export const LANGS = ["en", "hi"] as const;
export type Lang = (typeof LANGS)[number];

type Phase = FailoverState["phase"];
type Source = FailoverState["source"];

export interface PageText {
	title: string;
	heading: string;
	/** What the trader should know first: who is in charge, and what to do. */
	inCharge: Record<Phase, string>;
	unknownState: string;
	since: (when: string) => string;
	reasonLabel: string;
	reason: (phase: Phase, source: Source) => string;
	dataLabel: string;
	dataFresh: (minutes: number, when: string) => string;
	dataStale: (minutes: number, when: string) => string;
	dataUnknown: string;
	omsLabel: string;
	omsReachable: string;
	omsUnreachable: (since: string | null) => string;
	historyHeading: string;
	started: string;
	ended: string;
	stillOn: string;
	howHeading: string;
	how: Record<Source, string>;
	noActivations: string;
	historyUnknown: string;
	signIn: string;
	checkedAt: (when: string) => string;
	/** The link to the other language's page, written in that language. */
	otherLanguage: string;
}

const en: PageText = {
	title: "Lifeboat status",
	heading: "Lifeboat: the broker's backup site for squaring off",
	inCharge: {
		active: "Lifeboat is ON. The primary trading platform is down: square off your positions here.",
		fencing: "The primary trading platform is coming back. Lifeboat takes no new square-offs while its last orders settle.",
		standby: "The primary trading platform is in charge. Trade there as usual; Lifeboat is on standby.",
	},
	unknownState: "This site cannot tell right now whether Lifeboat or the primary platform is in charge. Try again in a minute.",
	since: (when) => `Since ${when}.`,
	reasonLabel: "Why",
	reason: (phase, source) => {
		switch (phase) {
			case "active":
				return source === "manual" ? "Switched on by the broker's operations team." : "The primary trading platform is not responding.";
			case "fencing":
				return "The primary trading platform is back; orders placed here are being settled.";
			case "standby":
				return source === "manual" ? "Set to standby by the broker's operations team." : "The primary trading platform is working.";
			default:
				return assertNever(phase);
		}
	},
	dataLabel: "Positions and prices",
	dataFresh: (minutes, when) => `Up to date: last change ${ago(minutes, "en")} (${when}).`,
	dataStale: (minutes, when) => `Possibly out of date: last change ${ago(minutes, "en")} (${when}).`,
	dataUnknown: "Unknown right now: the site cannot read how fresh its data is.",
	omsLabel: "Broker's order system",
	omsReachable: "Reachable: exit orders go through.",
	omsUnreachable: (since) => `Not reachable${since ? ` since ${since}` : ""}: square-offs are refused until it answers again.`,
	historyHeading: "Last times Lifeboat was on",
	started: "Started",
	ended: "Ended",
	stillOn: "Still on",
	howHeading: "How",
	how: { auto: "automatic", manual: "by the operations team" },
	noActivations: "Lifeboat has not been switched on yet.",
	historyUnknown: "The history cannot be read right now.",
	signIn: "Sign in to square off",
	checkedAt: (when) => `Checked at ${when}. Reload the page to check again.`,
	otherLanguage: "हिन्दी में पढ़ें",
};

const hi: PageText = {
	title: "Lifeboat की स्थिति",
	heading: "Lifeboat: पोज़िशन स्क्वेयर ऑफ़ करने के लिए ब्रोकर की बैकअप साइट",
	inCharge: {
		active: "Lifeboat चालू है। मुख्य ट्रेडिंग प्लेटफ़ॉर्म बंद है: अपनी पोज़िशन यहाँ स्क्वेयर ऑफ़ करें।",
		fencing: "मुख्य ट्रेडिंग प्लेटफ़ॉर्म वापस आ रहा है। पिछले ऑर्डर पूरे होने तक Lifeboat नए स्क्वेयर ऑफ़ नहीं ले रहा है।",
		standby: "मुख्य ट्रेडिंग प्लेटफ़ॉर्म चालू है। वहीं हमेशा की तरह ट्रेड करें; Lifeboat स्टैंडबाय पर है।",
	},
	unknownState: "यह साइट अभी नहीं बता पा रही कि Lifeboat चालू है या मुख्य प्लेटफ़ॉर्म। एक मिनट बाद फिर देखें।",
	since: (when) => `${when} से।`,
	reasonLabel: "कारण",
	reason: (phase, source) => {
		switch (phase) {
			case "active":
				return source === "manual" ? "ब्रोकर की ऑपरेशंस टीम ने चालू किया।" : "मुख्य ट्रेडिंग प्लेटफ़ॉर्म जवाब नहीं दे रहा है।";
			case "fencing":
				return "मुख्य ट्रेडिंग प्लेटफ़ॉर्म वापस आ गया है; यहाँ दिए गए ऑर्डर पूरे किए जा रहे हैं।";
			case "standby":
				return source === "manual" ? "ब्रोकर की ऑपरेशंस टीम ने स्टैंडबाय पर रखा।" : "मुख्य ट्रेडिंग प्लेटफ़ॉर्म काम कर रहा है।";
			default:
				return assertNever(phase);
		}
	},
	dataLabel: "पोज़िशन और भाव",
	dataFresh: (minutes, when) => `ताज़ा: आख़िरी बदलाव ${ago(minutes, "hi")} (${when})।`,
	dataStale: (minutes, when) => `शायद पुराने: आख़िरी बदलाव ${ago(minutes, "hi")} (${when})।`,
	dataUnknown: "अभी पता नहीं: साइट यह नहीं पढ़ पा रही कि उसका डेटा कितना ताज़ा है।",
	omsLabel: "ब्रोकर का ऑर्डर सिस्टम",
	omsReachable: "जुड़ा है: एग्ज़िट ऑर्डर जा रहे हैं।",
	omsUnreachable: (since) => `${since ? `${since} से ` : ""}नहीं जुड़ पा रहा: जब तक यह जवाब नहीं देता, स्क्वेयर ऑफ़ नहीं लिए जाएँगे।`,
	historyHeading: "Lifeboat पिछली बार कब चालू रहा",
	started: "शुरू",
	ended: "बंद",
	stillOn: "अभी चालू",
	howHeading: "कैसे",
	how: { auto: "अपने-आप", manual: "ऑपरेशंस टीम द्वारा" },
	noActivations: "Lifeboat अब तक कभी चालू नहीं हुआ है।",
	historyUnknown: "इतिहास अभी पढ़ा नहीं जा सकता।",
	signIn: "स्क्वेयर ऑफ़ करने के लिए साइन इन करें",
	checkedAt: (when) => `${when} पर जाँचा गया। फिर से जाँचने के लिए पेज रीलोड करें।`,
	otherLanguage: "Read in English",
};

export const TEXT: Record<Lang, PageText> = { en, hi };

function ago(minutes: number, lang: Lang): string {
	if (lang === "hi") return minutes < 1 ? "एक मिनट से कम पहले" : `${minutes} मिनट पहले`;
	return minutes < 1 ? "less than a minute ago" : minutes === 1 ? "1 minute ago" : `${minutes} minutes ago`;
}

/** A time as traders read it: Indian Standard Time, in the page's language. */
export function formatTime(iso: string, lang: Lang): string {
	const locale = lang === "hi" ? "hi-IN" : "en-IN";
	return `${new Date(iso).toLocaleString(locale, { timeZone: "Asia/Kolkata", dateStyle: "medium", timeStyle: "short" })} IST`;
}

/** The reason anyone may read: by phase and source, never the internal one (probe URLs, ops' words). */
export function publicReason(s: Pick<FailoverState, "phase" | "source">, lang: Lang = "en"): string {
	return TEXT[lang].reason(s.phase, s.source);
}

/** ?lang= wins; otherwise Hindi when the browser ranks it above English, else English. */
export function pickLang(query: Lang | undefined, acceptLanguage: string | undefined): Lang {
	if (query) return query;
	let best: { lang: Lang; q: number } | null = null;
	for (const part of (acceptLanguage ?? "").split(",")) {
		const [tag = "", ...params] = part.trim().toLowerCase().split(";");
		const lang = LANGS.find((l) => tag === l || tag.startsWith(`${l}-`));
		const qParam = params.find((p) => p.trim().startsWith("q="));
		const q = qParam ? Number(qParam.trim().slice(2)) : 1;
		if (lang && Number.isFinite(q) && q > 0 && (!best || q > best.q)) best = { lang, q };
	}
	return best?.lang ?? "en";
}
