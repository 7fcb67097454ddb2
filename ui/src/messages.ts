// Every problem code of the API as a plain sentence for a trader under stress, in English and
// Hindi. Both tables are keyed by the contract's ProblemCode, so a code added there fails to
// compile until it has a sentence in each language.
import type { ProblemCode } from "../../src/contract";
import { ApiError, NetworkError } from "./api";
import { type Lang, lang, t } from "./i18n";

/** For codes only machines (the OMS, the primary's sync, ops tools) should ever get. */
const NOT_FOR_TRADERS = "Lifeboat could not handle that request. Reload the page; if it keeps happening, call your broker's help desk.";

const en: Record<ProblemCode, string> = {
	INVALID_CREDENTIALS: "That client ID and password do not match. Check both and try again.",
	ACCOUNT_LOCKED:
		"Too many failed sign-ins from this connection: it is blocked for a few minutes. Wait, use another connection, or call your broker's help desk.",
	RATE_LIMITED: "Too many attempts in a short time. Wait a minute, then try again.",
	INVALID_OTP:
		"That code was not accepted, or the client ID or password was wrong (for your safety we do not say which). Enter them again with the current code from your authenticator app: codes change every 30 seconds and each works once.",
	UNAUTHENTICATED: "Your session has ended. Please sign in again.",
	CLIENT_DISABLED:
		"Your access to this backup site has been switched off by your broker, usually to protect your account. Call your broker's help desk.",
	PRIMARY_ACTIVE: "Your broker's main platform is working, so exits are not taken here. Use the main platform.",
	// Only ops switching Lifeboat on by hand get it; a trader sees the standby banner instead.
	CONFIG_INCOMPLETE: "Lifeboat is not set up to take exits yet. Use your broker's main platform or call its help desk.",
	OMS_UNAVAILABLE:
		"Your exit was not placed: your broker's order system is not answering, so exits cannot reach the exchange right now. Try again in a minute. Exits you placed earlier are kept, and you can still cancel them.",
	QTY_EXCEEDS_POSITION: "That quantity is more than is still open in this position (exits already pending count too).",
	NOT_LOT_MULTIPLE: "The quantity must be a whole number of lots.",
	PRICE_OUTSIDE_BAND: "That price is outside today's allowed price range for this instrument.",
	PRICE_NOT_ON_TICK: "That price is not a valid step for this instrument. Use a multiple of its tick size.",
	POSITION_NOT_FOUND: "This position is no longer open. Your positions have been refreshed.",
	ORDER_NOT_FOUND: "That order could not be found. Your orders have been refreshed.",
	ORDER_NOT_CANCELLABLE: "That order can no longer be cancelled: it has already completed, been rejected or been cancelled.",
	NOTHING_TO_EXIT: "There is nothing left to exit: every open position already has exit orders covering it.",
	IDEMPOTENCY_KEY_REQUIRED: "The request was incomplete. Please try again.",
	IDEMPOTENCY_KEY_REUSED: "This request was changed after it was sent. Close this window and start the exit again.",
	IDEMPOTENCY_KEY_IN_FLIGHT: "Your earlier request is still being processed. Wait a moment.",
	INVALID_BODY: "Some of the details entered are not valid. Check them and try again.",
	MALFORMED_REQUEST: "The request could not be read. Reload the page and try again.",
	CROSS_SITE_REQUEST: "The request was blocked for your safety. Reload this page and try again.",
	TOO_MANY_CONNECTIONS:
		"Lifeboat is open in too many tabs or windows. Close some of them; this page keeps updating every few seconds meanwhile.",
	PAYLOAD_TOO_LARGE: "The request was too large to accept. Check what you entered and try again.",
	INTERNAL_ERROR: "Something went wrong on our side. Try again; if it keeps happening, call your broker's help desk.",
	POSITIONS_UNAVAILABLE: "Your positions could not be loaded just now. Wait a few seconds and try again.",
	SIGN_IN_UNAVAILABLE: "Sign-in is unavailable for a moment. Wait a few seconds and try again.",
	IDEMPOTENCY_KEY_INVALID: "The request was incomplete. Please try again.",
	PRIMARY_UNAVAILABLE: "Your broker's main platform is down. Use the Lifeboat backup site to exit your positions.",
	PRIMARY_UNREACHABLE: "Your broker's main platform did not answer. Wait a moment and try again, or use the Lifeboat backup site.",
	NOT_FOUND: "That page or action does not exist. Reload the page and try again.",
	INVALID_REQUEST: "Some of the details sent are not valid. Reload the page and try again.",
	HTTP_ERROR: "The request could not be completed. Reload the page and try again.",
	UPGRADE_REQUIRED: "Live updates could not be started. Reload the page; your orders still refresh every few seconds.",
	WOULD_UNHEDGE:
		"This long option is the hedge of a short option on the same underlying that is still open. Exit the short option first, so you are never left unhedged.",
	UNKNOWN_FIELD: "The request had details this site does not understand. Reload the page and try again.",
	BATCH_TOO_LARGE: NOT_FOR_TRADERS,
	CLIENT_NOT_FOUND: NOT_FOR_TRADERS,
	GATEWAY_LOOP: NOT_FOR_TRADERS,
	INVALID_CHANGE_EVENT: NOT_FOR_TRADERS,
	INVALID_CURSOR: NOT_FOR_TRADERS,
	INVALID_SIGNATURE: NOT_FOR_TRADERS,
	REPLICATION_CONFLICT: NOT_FOR_TRADERS,
	UNKNOWN_CURSOR: NOT_FOR_TRADERS,
	UNKNOWN_TABLE: NOT_FOR_TRADERS,
};

const NOT_FOR_TRADERS_HI = "Lifeboat यह रिक्वेस्ट पूरी नहीं कर सका। पेज रीलोड करें; बार-बार हो तो अपने ब्रोकर के हेल्प डेस्क को कॉल करें।";

const hi: Record<ProblemCode, string> = {
	CONFIG_INCOMPLETE: "Lifeboat अभी एग्ज़िट लेने के लिए तैयार नहीं है। अपने ब्रोकर का मुख्य प्लेटफ़ॉर्म इस्तेमाल करें या उसके हेल्प डेस्क को कॉल करें।",
	INVALID_CREDENTIALS: "यह क्लाइंट आईडी और पासवर्ड मेल नहीं खाते। दोनों जाँचकर फिर से कोशिश करें।",
	ACCOUNT_LOCKED:
		"इस कनेक्शन से बहुत बार गलत साइन इन हुआ है: यह कुछ मिनट के लिए रोक दिया गया है। थोड़ा रुकें, कोई दूसरा कनेक्शन इस्तेमाल करें, या अपने ब्रोकर के हेल्प डेस्क को कॉल करें।",
	RATE_LIMITED: "कम समय में बहुत सारी कोशिशें हुईं। एक मिनट रुककर फिर से कोशिश करें।",
	INVALID_OTP:
		"यह कोड स्वीकार नहीं हुआ, या क्लाइंट आईडी या पासवर्ड गलत था (आपकी सुरक्षा के लिए हम नहीं बताते कि कौन-सा)। इन्हें अपने ऑथेंटिकेटर ऐप के अभी वाले कोड के साथ फिर से डालें: कोड हर 30 सेकंड में बदलता है और हर कोड एक ही बार चलता है।",
	UNAUTHENTICATED: "आपका सेशन खत्म हो गया है। कृपया फिर से साइन इन करें।",
	CLIENT_DISABLED: "आपके ब्रोकर ने इस बैकअप साइट पर आपकी पहुँच बंद कर दी है, आम तौर पर आपके खाते की सुरक्षा के लिए। अपने ब्रोकर के हेल्प डेस्क को कॉल करें।",
	PRIMARY_ACTIVE: "आपके ब्रोकर का मुख्य प्लेटफ़ॉर्म चल रहा है, इसलिए यहाँ एग्ज़िट नहीं लिए जाते। मुख्य प्लेटफ़ॉर्म इस्तेमाल करें।",
	OMS_UNAVAILABLE:
		"आपका एग्ज़िट नहीं लगा: आपके ब्रोकर का ऑर्डर सिस्टम जवाब नहीं दे रहा, इसलिए अभी एग्ज़िट एक्सचेंज तक नहीं पहुँच सकते। एक मिनट बाद फिर से कोशिश करें। पहले लगाए गए एग्ज़िट बने रहेंगे, और आप उन्हें अब भी कैंसल कर सकते हैं।",
	QTY_EXCEEDS_POSITION: "यह मात्रा इस पोज़ीशन की बची हुई खुली मात्रा से ज़्यादा है (लंबित एग्ज़िट भी गिने जाते हैं)।",
	NOT_LOT_MULTIPLE: "मात्रा पूरे लॉट में होनी चाहिए।",
	PRICE_OUTSIDE_BAND: "यह भाव इस इंस्ट्रूमेंट की आज की अनुमत प्राइस रेंज से बाहर है।",
	PRICE_NOT_ON_TICK: "यह भाव इस इंस्ट्रूमेंट के लिए मान्य नहीं है। इसके टिक साइज़ के गुणज में भाव डालें।",
	POSITION_NOT_FOUND: "यह पोज़ीशन अब खुली नहीं है। आपकी पोज़ीशन रिफ़्रेश कर दी गई हैं।",
	ORDER_NOT_FOUND: "यह ऑर्डर नहीं मिला। आपके ऑर्डर रिफ़्रेश कर दिए गए हैं।",
	ORDER_NOT_CANCELLABLE: "यह ऑर्डर अब कैंसल नहीं हो सकता: यह पूरा हो चुका है, रिजेक्ट हो चुका है या पहले ही कैंसल हो चुका है।",
	NOTHING_TO_EXIT: "एग्ज़िट के लिए कुछ नहीं बचा: हर खुली पोज़ीशन पर पहले से एग्ज़िट ऑर्डर लगे हैं।",
	IDEMPOTENCY_KEY_REQUIRED: "रिक्वेस्ट अधूरी थी। कृपया फिर से कोशिश करें।",
	IDEMPOTENCY_KEY_REUSED: "भेजने के बाद यह रिक्वेस्ट बदल गई। यह विंडो बंद करके एग्ज़िट फिर से शुरू करें।",
	IDEMPOTENCY_KEY_IN_FLIGHT: "आपकी पिछली रिक्वेस्ट पर अभी काम चल रहा है। थोड़ा रुकें।",
	INVALID_BODY: "डाली गई कुछ जानकारी सही नहीं है। जाँचकर फिर से कोशिश करें।",
	MALFORMED_REQUEST: "रिक्वेस्ट पढ़ी नहीं जा सकी। पेज रीलोड करके फिर से कोशिश करें।",
	CROSS_SITE_REQUEST: "आपकी सुरक्षा के लिए यह रिक्वेस्ट रोक दी गई। यह पेज रीलोड करके फिर से कोशिश करें।",
	TOO_MANY_CONNECTIONS: "Lifeboat बहुत सारे टैब या विंडो में खुला है। कुछ बंद कर दें; तब तक यह पेज हर कुछ सेकंड में अपडेट होता रहेगा।",
	PAYLOAD_TOO_LARGE: "रिक्वेस्ट बहुत बड़ी थी। जो डाला है उसे जाँचकर फिर से कोशिश करें।",
	INTERNAL_ERROR: "हमारी तरफ़ कुछ गड़बड़ हुई। फिर से कोशिश करें; बार-बार हो तो अपने ब्रोकर के हेल्प डेस्क को कॉल करें।",
	POSITIONS_UNAVAILABLE: "आपकी पोज़ीशन अभी लोड नहीं हो सकीं। कुछ सेकंड रुककर फिर से कोशिश करें।",
	SIGN_IN_UNAVAILABLE: "साइन इन थोड़ी देर के लिए उपलब्ध नहीं है। कुछ सेकंड रुककर फिर से कोशिश करें।",
	IDEMPOTENCY_KEY_INVALID: "रिक्वेस्ट अधूरी थी। कृपया फिर से कोशिश करें।",
	PRIMARY_UNAVAILABLE: "आपके ब्रोकर का मुख्य प्लेटफ़ॉर्म बंद है। अपनी पोज़ीशन एग्ज़िट करने के लिए Lifeboat बैकअप साइट इस्तेमाल करें।",
	PRIMARY_UNREACHABLE: "आपके ब्रोकर के मुख्य प्लेटफ़ॉर्म ने जवाब नहीं दिया। थोड़ा रुककर फिर से कोशिश करें, या Lifeboat बैकअप साइट इस्तेमाल करें।",
	NOT_FOUND: "यह पेज या काम मौजूद नहीं है। पेज रीलोड करके फिर से कोशिश करें।",
	INVALID_REQUEST: "भेजी गई कुछ जानकारी सही नहीं है। पेज रीलोड करके फिर से कोशिश करें।",
	HTTP_ERROR: "रिक्वेस्ट पूरी नहीं हो सकी। पेज रीलोड करके फिर से कोशिश करें।",
	UPGRADE_REQUIRED: "लाइव अपडेट शुरू नहीं हो सके। पेज रीलोड करें; आपके ऑर्डर फिर भी हर कुछ सेकंड में रिफ़्रेश होते रहेंगे।",
	WOULD_UNHEDGE: "यह लॉन्ग ऑप्शन उसी अंडरलाइंग के एक खुले शॉर्ट ऑप्शन का हेज है। पहले शॉर्ट ऑप्शन एग्ज़िट करें, ताकि आप कभी बिना हेज के न रहें।",
	UNKNOWN_FIELD: "रिक्वेस्ट में ऐसी जानकारी थी जो यह साइट नहीं समझती। पेज रीलोड करके फिर से कोशिश करें।",
	BATCH_TOO_LARGE: NOT_FOR_TRADERS_HI,
	CLIENT_NOT_FOUND: NOT_FOR_TRADERS_HI,
	GATEWAY_LOOP: NOT_FOR_TRADERS_HI,
	INVALID_CHANGE_EVENT: NOT_FOR_TRADERS_HI,
	INVALID_CURSOR: NOT_FOR_TRADERS_HI,
	INVALID_SIGNATURE: NOT_FOR_TRADERS_HI,
	REPLICATION_CONFLICT: NOT_FOR_TRADERS_HI,
	UNKNOWN_CURSOR: NOT_FOR_TRADERS_HI,
	UNKNOWN_TABLE: NOT_FOR_TRADERS_HI,
};

const sentences: Record<Lang, Record<ProblemCode, string>> = { en, hi };

const isProblemCode = (code: string): code is ProblemCode => Object.hasOwn(en, code);

/** The sentence for one problem code, in the trader's language. */
export const problemSentence = (code: ProblemCode) => sentences[lang][code];

export function describeError(err: unknown): string {
	if (err instanceof NetworkError) return t.networkError;
	if (err instanceof ApiError) return isProblemCode(err.code) ? problemSentence(err.code) : (err.detail ?? t.requestFailed(err.status));
	return t.unexpected;
}
