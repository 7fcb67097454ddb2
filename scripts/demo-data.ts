// The demo data of api.md "Local development". Lot and freeze sizes are data, as on the
// exchange (NSE from 1 Sep 2025: NIFTY freeze 1,800, BANKNIFTY 900). The rows are the shape
// scripts/fixtures.ts builds for every other seeding; scripts/seed.ts writes them.
import type { Credentials, InstrumentRow, PositionRow } from "./fixtures.ts";

// Contacts for notices: a number from the range reserved for drama (no real subscriber) and example.com.
export const demoClients = [
	{
		clientId: "DEMO01",
		name: "Asha Demo",
		password: "lifeboat-demo",
		totpSecret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
		mobile: "+919999900001",
		email: "asha.demo@example.com",
	},
	{
		clientId: "DEMO02",
		name: "Ravi Demo",
		password: "lifeboat-demo-2",
		totpSecret: "KRUGS4ZANFZSAYJAORSXG5BAONSWG4TF",
		mobile: "+919999900002",
		email: "ravi.demo@example.com",
	},
] satisfies (Credentials & { name: string; mobile: string; email: string })[];

export const demoInstruments = [
	{
		id: "NSE:RELIANCE",
		exchange: "NSE",
		segment: "EQ",
		symbol: "RELIANCE",
		underlying: "RELIANCE",
		optionType: null,
		lotSize: 1,
		tickSize: "0.10",
		freezeQty: null,
		priceBandLow: "1278.00",
		priceBandHigh: "1562.00",
		ltp: "1420.00",
	},
	{
		id: "NSE:TCS",
		exchange: "NSE",
		segment: "EQ",
		symbol: "TCS",
		underlying: "TCS",
		optionType: null,
		lotSize: 1,
		tickSize: "0.10",
		freezeQty: null,
		priceBandLow: "2790.00",
		priceBandHigh: "3410.00",
		ltp: "3100.00",
	},
	{
		id: "NFO:NIFTY26DEC24000CE",
		exchange: "NFO",
		segment: "OPT",
		symbol: "NIFTY26DEC24000CE",
		underlying: "NIFTY",
		optionType: "CE",
		lotSize: 75,
		tickSize: "0.05",
		freezeQty: 1800,
		priceBandLow: "0.05",
		priceBandHigh: "420.00",
		ltp: "128.40",
	},
	{
		id: "NFO:NIFTY26DEC23000PE",
		exchange: "NFO",
		segment: "OPT",
		symbol: "NIFTY26DEC23000PE",
		underlying: "NIFTY",
		optionType: "PE",
		lotSize: 75,
		tickSize: "0.05",
		freezeQty: 1800,
		priceBandLow: "0.05",
		priceBandHigh: "260.00",
		ltp: "41.15",
	},
	{
		id: "NFO:NIFTY26DECFUT",
		exchange: "NFO",
		segment: "FUT",
		symbol: "NIFTY26DECFUT",
		underlying: "NIFTY",
		optionType: null,
		lotSize: 75,
		tickSize: "0.10",
		freezeQty: 1800,
		priceBandLow: "21700.00",
		priceBandHigh: "26500.00",
		ltp: "24105.50",
	},
	{
		id: "NFO:BANKNIFTY26DECFUT",
		exchange: "NFO",
		segment: "FUT",
		symbol: "BANKNIFTY26DECFUT",
		underlying: "BANKNIFTY",
		optionType: null,
		lotSize: 35,
		tickSize: "0.20",
		freezeQty: 900,
		priceBandLow: "46800.00",
		priceBandHigh: "57200.00",
		ltp: "52010.40",
	},
] as const satisfies readonly InstrumentRow[];

export const demoPositions = [
	// DEMO01: a long equity intraday position, a short index option above the freeze quantity
	// (2,250 = 30 lots, so a full exit is two orders), its long put hedge, and a long index future.
	{ id: "DEMO01-RELIANCE-MIS", clientId: "DEMO01", instrumentId: "NSE:RELIANCE", product: "MIS", netQty: 50, avgPrice: "1412.35" },
	{
		id: "DEMO01-NIFTY24000CE-NRML",
		clientId: "DEMO01",
		instrumentId: "NFO:NIFTY26DEC24000CE",
		product: "NRML",
		netQty: -2250,
		avgPrice: "141.20",
	},
	{
		id: "DEMO01-NIFTY23000PE-NRML",
		clientId: "DEMO01",
		instrumentId: "NFO:NIFTY26DEC23000PE",
		product: "NRML",
		netQty: 2250,
		avgPrice: "38.60",
	},
	{ id: "DEMO01-NIFTYFUT-NRML", clientId: "DEMO01", instrumentId: "NFO:NIFTY26DECFUT", product: "NRML", netQty: 75, avgPrice: "24010.00" },
	// DEMO02: positions of its own, to prove one client never reaches another's.
	{ id: "DEMO02-TCS-CNC", clientId: "DEMO02", instrumentId: "NSE:TCS", product: "CNC", netQty: 12, avgPrice: "3050.25" },
	{
		id: "DEMO02-BANKNIFTYFUT-NRML",
		clientId: "DEMO02",
		instrumentId: "NFO:BANKNIFTY26DECFUT",
		product: "NRML",
		netQty: -70,
		avgPrice: "52240.00",
	},
] as const satisfies readonly PositionRow[];
