import { LOCALES, lang, t } from "./i18n";

const formats = Object.fromEntries(
	Object.entries(LOCALES).map(([l, locale]) => [
		l,
		{
			qty: new Intl.NumberFormat(locale),
			money: new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }),
			day: new Intl.DateTimeFormat(locale, { day: "numeric", month: "short" }),
		},
	]),
) as Record<keyof typeof LOCALES, { qty: Intl.NumberFormat; money: Intl.NumberFormat; day: Intl.DateTimeFormat }>;

/** 12,34,567 in both languages (lakh grouping). */
export const qty = (n: number) => formats[lang].qty.format(n);
export const money = (v: string | number) => formats[lang].money.format(Number(v));
/** "10:31:05" in the trader's own time zone. */
export const clock = (iso: string) => new Date(iso).toLocaleTimeString("en-GB", { hour12: false });
/** The time, with the day in front when it was not today (saved positions can be older). */
export const when = (iso: string, now = new Date()) =>
	new Date(iso).toDateString() === now.toDateString() ? clock(iso) : `${formats[lang].day.format(new Date(iso))}, ${clock(iso)}`;
export const ageSeconds = (iso: string, now = Date.now()) => Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
export const ago = (seconds: number) => (seconds < 120 ? t.seconds(seconds) : t.minutes(Math.round(seconds / 60)));
