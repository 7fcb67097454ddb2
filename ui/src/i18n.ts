// The trader's language: English or Hindi, chosen with the switch in the banner and remembered
// in this browser. `t` is the current language's words (a live binding: read it while
// rendering); the App re-renders everything when the language changes.
import { type Words, en } from "./text/en";
import { hi } from "./text/hi";

export type Lang = "en" | "hi";

const WORDS: Record<Lang, Words> = { en, hi };
/** Numbers in the Indian format (lakh grouping) in both languages; hi-IN keeps Latin digits. */
export const LOCALES: Record<Lang, string> = { en: "en-IN", hi: "hi-IN" };
const STORED = "lifeboat.lang";

function startingLang(): Lang {
	try {
		const saved = localStorage.getItem(STORED);
		if (saved === "en" || saved === "hi") return saved;
	} catch {
		// Storage refused (private mode, policy): fall back to the browser's language.
	}
	return navigator.language.toLowerCase().startsWith("hi") ? "hi" : "en";
}

export let lang: Lang = startingLang();
export let t: Words = WORDS[lang];
document.documentElement.lang = lang;

const listeners = new Set<(l: Lang) => void>();

export function setLang(next: Lang) {
	lang = next;
	t = WORDS[next];
	document.documentElement.lang = next;
	try {
		localStorage.setItem(STORED, next);
	} catch {
		// Not remembered, still switched.
	}
	for (const l of listeners) l(next);
}

export function onLangChange(listener: (l: Lang) => void): () => void {
	listeners.add(listener);
	return () => listeners.delete(listener);
}
