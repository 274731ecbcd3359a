//! Reference: every simulated endpoint and every modelled quirk, with its source.
//!
//! Sources are named as in the project's notes: fixture files (`fixtures/cp/<METHOD>_<path>.json`,
//! copied into `sim/tests/fixtures/`), `client-portal-api.md` (§ numbers), `ibind-anchor.md`,
//! `flex-web-service.md`, the IBKR OpenAPI spec ("spec") and IBKR's cpapi-v1 page.
//!
//! # Endpoints
//!
//! Gateway, under `base_url()` (`/v1/api`):
//!
//! | Method | Path | Shape from |
//! |---|---|---|
//! | POST, GET | `/tickle` | POST_tickle.json |
//! | POST, GET | `/iserver/auth/status` | POST_iserver_auth_status.json |
//! | POST | `/iserver/auth/ssodh/init` | POST_iserver_auth_ssodh_init.json |
//! | POST, GET | `/iserver/reauthenticate` | legacy swagger (auth status) |
//! | POST | `/logout` | POST_logout.json |
//! | GET | `/sso/validate` | GET_sso_validate.json |
//! | POST | `/oauth/request_token`, `/oauth/access_token` | IBKR's Web API document 2.28.0 (the third-party flow's 200 schemas); a consumer must be named, else `401 Invalid Consumer` (`oauth.md`) |
//! | GET | `/ws` (WebSocket upgrade) | `websocket.md`; the socket's frames and quirks are in [`SocketControl`](crate::SocketControl) and below |
//! | GET | `/trsrv/stocks?symbols=A,B` | GET_trsrv_stocks.json |
//! | GET | `/trsrv/secdef?conids=1,2` | GET_trsrv_secdef.json |
//! | GET | `/trsrv/futures?symbols=ES` | GET_trsrv_futures.json |
//! | GET, POST | `/iserver/secdef/search` | GET_iserver_secdef_search.json, `__name_true.json` |
//! | GET | `/iserver/contract/{conid}/info` | GET_iserver_contract_{conid}_info.json |
//! | GET | `/iserver/secdef/strikes` | GET_iserver_secdef_strikes.json |
//! | GET | `/iserver/secdef/info` | GET_iserver_secdef_info.json |
//! | GET | `/iserver/marketdata/snapshot` | GET_iserver_marketdata_snapshot__preflight_first_call.json, `__after_preflight.json` |
//! | GET | `/iserver/marketdata/history` | GET_iserver_marketdata_history.json |
//! | GET | `/hmds/history` | GET_hmds_history__UNVERIFIED_provenance.json |
//! | POST | `/iserver/marketdata/unsubscribe` | POST_iserver_marketdata_unsubscribe.json |
//! | GET | `/iserver/marketdata/unsubscribeall` | GET_iserver_marketdata_unsubscribeall.json |
//! | GET | `/iserver/accounts` | GET_iserver_accounts.json |
//! | POST | `/iserver/account/{acct}/orders` | POST_iserver_account_{accountId}_orders*.json |
//! | POST | `/iserver/account/{acct}/orders/whatif` | POST_iserver_account_{accountId}_orders_whatif.json |
//! | POST | `/iserver/reply/{replyId}` | POST_iserver_reply_{replyId}.json |
//! | POST | `/iserver/account/{acct}/order/{orderId}` (modify) | POST_iserver_account_{accountId}_order_{orderId}.json |
//! | DELETE | `/iserver/account/{acct}/order/{orderId}` | DELETE_iserver_account_{accountId}_order_{orderId}.json |
//! | GET | `/iserver/account/orders` | GET_iserver_account_orders.json |
//! | GET | `/iserver/account/order/status/{orderId}` | GET_iserver_account_order_status_{orderId}.json |
//! | GET | `/iserver/account/trades` | GET_iserver_account_trades.json |
//! | GET | `/iserver/account/pnl/partitioned` | GET_iserver_account_pnl_partitioned.json |
//! | GET | `/iserver/account/{acct}/summary` | spec `accountSummaryResponse` example |
//! | POST | `/iserver/questions/suppress`, `/iserver/questions/suppress/reset` | POST_iserver_questions_suppress*.json |
//! | POST | `/iserver/notification` | POST_iserver_notification__doc_plaintext.txt |
//! | GET | `/portfolio/accounts`, `/portfolio/subaccounts` | GET_portfolio_accounts.json, GET_portfolio_subaccounts.json |
//! | GET | `/portfolio/{acct}/positions/{pageId}` | GET_portfolio_{accountId}_positions_{pageId}.json (+ spec fields) |
//! | GET | `/portfolio2/{acct}/positions` | GET_portfolio2_{accountId}_positions.json |
//! | GET | `/portfolio/{acct}/ledger` | GET_portfolio_{accountId}_ledger.json |
//! | GET | `/portfolio/{acct}/summary` | GET_portfolio_{accountId}_summary.json (all 114 keys) |
//! | POST | `/iserver/account` (switch), `/iserver/dynaccount` | cpapi-v1 "Switch Account" `{"set":true,"acctId":..}` |
//! | GET | `/iserver/account/search/{pattern}` | spec `dynAccountSearchResponse`; 503 without dynamic accounts (ibind-anchor §1 #3) |
//! | GET | `/acesws/{acct}/signatures-and-owners` | spec `signatureAndOwners` |
//! | GET | `/iserver/account/{acct}/summary/{available_funds,balances,margins,market_value}` | spec `availableFundsResponse` etc.; cpapi-v1 amounts `"1,214,906 USD"` |
//! | POST | `/iserver/contract/rules`; GET `/iserver/contract/{conid}/info-and-rules` | cpapi-v1 "Contract Rules" (order types, `tifTypes` like `"GTC/o,a"`, `orderDefaults.LMT.LP`) |
//! | GET | `/iserver/contract/{conid}/algos` | cpapi-v1 "IB Algo Parameters" (ids Adaptive, Vwap, Twap, ...) |
//! | GET | `/trsrv/secdef/schedule`, `/contract/trading-schedule` | spec `tradingSchedule`, `scheduleResponse` |
//! | GET | `/trsrv/all-conids`, `/iserver/currency/pairs`, `/iserver/exchangerate`, `/iserver/secdef/bond-filters` | spec shapes; FX conids (EUR.USD 12087792, ...) as in public TWS API code |
//! | GET | `/md/regsnapshot` | spec `LegacyRegulatorySnapshotResponse` |
//! | GET | `/portfolio/subaccounts2`, `/portfolio/{acct}/meta` | GET_portfolio_accounts.json attributes; spec `SubaccountsPageResponse` |
//! | GET, POST | `/portfolio/{acct}/allocation`, `/portfolio/allocation` | spec `portfolioAllocations` |
//! | GET | `/portfolio/{acct}/combo/positions`, `/portfolio/{acct}/position/{conid}`, `/portfolio/positions/{conid}` | spec `ComboPosition`, `individualPosition` (a list per account, as ibkr-conduit's recording shows) |
//! | POST | `/portfolio/{acct}/positions/invalidate` | cpapi-v1 `{"message":"success"}` |
//! | POST | `/pa/performance`, `/pa/allperiods`, `/pa/summary`, `/pa/transactions` | cpapi-v1 "Account Performance", "Transaction History"; spec shapes |
//! | POST, GET, DELETE | `/iserver/watchlist`; GET `/iserver/watchlists` | POST_iserver_watchlist.json, GET_iserver_watchlist(s).json, DELETE_iserver_watchlist.json |
//! | POST; DELETE; GET | `/iserver/account/{acct}/alert[/activate]`; `/iserver/account/{acct}/alert/{id}`; `/iserver/account/{acct}/alerts`, `/iserver/account/alert/{id}`, `/iserver/account/mta` | cpapi-v1 "Alerts" |
//! | GET, POST | `/iserver/scanner/params`, `/iserver/scanner/run`, `/hmds/scanner/params`, `/hmds/scanner/run` | GET_iserver_scanner_params.json, POST_iserver_scanner_run*.json; spec `LegacyHmdsScannerRunResponse` |
//! | GET, PUT, POST, DELETE | `/fyi/*` (12) | cpapi-v1 "FYIs and Notifications"; spec `notifications`, `fyiVT` |
//! | GET, POST, PUT | `/iserver/account/allocation/{accounts,group,group/single,group/delete,presets}` | cpapi-v1 "Allocation" (`{"success":true}`) |
//! | POST | `/fa/model/*`, `/fa/fa-preset/*` (10) | spec `modelListResponse`, `modelSummaryResponse`, ...; ibind-anchor §1 #24-#33 |
//! | GET | `/forecast/category/tree`, `/forecast/contract/{market,details,rules,schedules}` | IBKR Web API reference "Trading Event Contracts"; spec shapes |
//!
//! Account management (IBKR's gw API), under the server root beside `/v1/api`, read-only:
//! `GET /gw/api/v1/accounts/{acct}/details`, `/accounts/{acct}/status`, `/accounts/status`,
//! `/accounts/{acct}/tasks?type=registration|pending`, `/accounts/{acct}/login-messages`,
//! `/accounts/login-messages`, `/forms` (the documents list), `/forms/required-forms`,
//! `/statements/available`, `/tax-documents/available`, `/trade-confirmations/available`,
//! `/enumerations/{type}` (`jsonData` an array, as Jackson's `ArrayNode` is, though the spec
//! types it as an object), `/enumerations/complex-asset-transfer`, `/requests`,
//! `/requests/{id}/status`, `/participating-banks`, `/accounts/{acct}/kyc`,
//! `/validations/usernames/{name}`, `/echo/https`; shapes from
//! `openapi/ibkr-account-management.json`, errors in its
//! `ErrorResponse` shape (`{"hasError":true,"errorDescription":..}`, 404 for an unknown account).
//!
//! Flex Web Service, under `flex_base_url()` (`/AccountManagement/FlexWebService`):
//! `GET /SendRequest?t=&q=&v=3` and `GET /GetStatement?t=&q=&v=3` (envelopes as in
//! `fixtures/flex/web_service/*.xml`), plus the legacy
//! `/Universal/servlet/FlexStatementService.{SendRequest,GetStatement}` paths.
//!
//! The gateway's own pages, under the server root (`gateway.md` §3, §4):
//! `GET /` answers `302` to `/sso/Login?forwardTo=22&RL=1&ip2loc=US`; `GET /sso/Login`,
//! `POST /sso/Login` and `GET /sso/Login/push` play IBKR's login page ([`crate::login`]).
//!
//! Any other path answers 404 `{"error":"Not Found","statusCode":404}`. One trailing slash is
//! ignored (ibind calls `iserver/account/trades/`, ibind-anchor §1 #46).
//!
//! # Modelled quirks
//!
//! The gateway itself (`gateway.md` §2, §3):
//! - The IP allow-list (builder `.allow()` / `.deny()`, `--allow` / `--deny`): the TCP peer
//!   address, deny first, exact or trailing-`*` entries, CIDR never matching, a bare `*`
//!   giving 500, and failing open without a deny list; a refused client gets `404` with the
//!   13-byte body `Access Denied` and no content type on every path.
//! - IBKR unreachable (`.upstream_unreachable(true)`, `control().upstream_unreachable()`,
//!   `--upstream-unreachable`): `GET /` still redirects; every proxied call under `/v1/api`,
//!   `/gw/api` and `/sso` is held open and never answered (the real one held a tickle 590 s).
//!
//! Requests (DESIGN.md, "Wire facts"): a POST without `Content-Length` (or chunked encoding)
//! answers 411; one trailing slash in a path is ignored.
//!
//! Session (`client-portal-api.md` §2):
//! - `/iserver/*` answers 400 `{"error":"Bad Request: no bridge","statusCode":400}` until
//!   `POST /iserver/auth/ssodh/init` (ERROR_400_no_bridge__ibind_issue44.json); auth status,
//!   ssodh/init and reauthenticate work without it. Builder `.brokerage_session(true)` skips it.
//! - `ssodh/init` with `publish:false` answers 500; `compete:false` leaves a competing session
//!   in place; JSON or form bodies are accepted (damian-ib).
//! - A dropped session (`control().drop_session()`) or `POST /logout` makes every request
//!   answer 401 with an empty body (the spec lists 401 without a body).
//! - `competing:true` (`control().set_competing`) takes the bridge: auth status shows
//!   `authenticated:false, competing:true`, `/iserver/*` answers no bridge.
//! - `/tickle` reports the 32-hex `session`, `ssoExpires`, `collission`, `hmds:{"error":"no bridge"}`
//!   and `iserver.authStatus` (POST_tickle.json).
//! - A new brokerage session resets market-data subscriptions, the hmds warm-up, the pnl
//!   warm-up and suppressed questions.
//!
//! Instruments:
//! - AAPL exactly as the real `/trsrv/stocks` sample (ibind-anchor §2): NASDAQ 265598 (isUS),
//!   MEXI 38708077, EBS 273982664, "LS 1X AAPL" LSEETF 493546048, "APPLE INC-CDR" AEQLIT
//!   532640894; other symbols from GET_trsrv_stocks__ibind_fixture.json and the spec's IBM
//!   sample; `ACME` is a deliberate two-instrument US ambiguity (synthetic conids).
//! - Futures ES/MES with real conids only: ES Dec 2024/2025 from GET_trsrv_futures.json, the
//!   other ES months through 2029 as public TWS API captures record them (e.g. ESZ6 515416632,
//!   ESH7 649180684); MES 586139726 and 730283085 (no later MES month is known, none is
//!   invented). `/trsrv/futures` lists only unexpired months.
//! - FX pairs for `/iserver/currency/pairs` with IDEALPRO conids (EUR.USD 12087792, GBP.USD
//!   12087797, USD.JPY 15016059, ...); exchange rates from the catalog's per-USD factors.
//! - Event contracts: one synthetic ForecastEx market (conids 990000300+), whole-number strikes.
//! - Options are generated on demand by `/iserver/secdef/info` (synthetic conids) and can then
//!   be quoted and traded.
//!
//! Market data:
//! - Snapshot pre-flight: the first request for a conid answers only `{"conid","conidEx"}`;
//!   later ones every field requested so far, even without `fields` (cpapi-v1, webapi-doc;
//!   `__preflight_first_call.json`, `__after_preflight.json`). Unsubscribe restores the pre-flight.
//! - Field formats: `31` a string, `C` prefix (previous close) for listings without a
//!   subscription (our rule: the user subscribes to US listings only), `H` prefix when halted
//!   (`control().set_halted`); `84`/`86` bid/ask; `85`/`88` sizes with thousands separators;
//!   `87` volume with K/M; `6509` `RpB` (or `N`); `_updated`, `6119`, `server_id`.
//! - Strikes are empty until `/iserver/secdef/search` ran for the underlying
//!   (`client-portal-api.md` §2, "Strikes").
//! - History: seeded random walk on trading-session timestamps (daily bars at 13:30 UTC as in
//!   GET_iserver_marketdata_history__spec_last.json); honours `period`, `bar`, `outsideRth`,
//!   `startTime`, `source` (Midpoint/Bid_Ask have volume 0); at most 1000 points
//!   (`client-portal-api.md` §1); `points` = bars − 1 (spec sample); unknown conid → 500
//!   `{"error":"No data."}` (ibind-anchor §4).
//! - `/hmds/history` answers 404 on its first call per brokerage session (ibind
//!   `marketdata_mixin.py`, `client-portal-api.md` §2), then data.
//! - `/iserver/account/pnl/partitioned` answers `{"upnl":{}}` on its first call
//!   (GET_iserver_account_pnl_partitioned__spec_initial_empty.json).
//!
//! Pacing (`client-portal-api.md` §1; [`crate::Limits`]): 429 with an empty body for more than
//! 10 req/s globally, snapshot 10/s, orders/trades/pnl/portfolio accounts/subaccounts(2) 1 per
//! 5 s, tickle 1/s, sso/validate 1/min, scanner params (iserver and hmds) 1/15 min, scanner runs
//! 1/s, `/pa/performance`, `/pa/summary`, `/pa/transactions` 1/15 min, each `/fyi` path 1/s,
//! more than 5 concurrent history requests; optional penalty box (every request 429 for a
//! while after a violation).
//!
//! Accounts and portfolio:
//! - The selected account (`POST /iserver/account`, `/iserver/dynaccount`) decides what
//!   `/iserver/accounts` (`selectedAccount`), `/iserver/account/orders`, `/iserver/account/trades`,
//!   `/iserver/account/pnl/partitioned` and `/iserver/account/mta` show (ibind-anchor §1 #6:
//!   switching changes the account later calls act on); a new brokerage session selects the
//!   primary account again. Dynamic accounts need more than one account (`allowDynAccount`),
//!   else 503. A multi-account user gets 503 from `/iserver/account/order/status/{id}` until
//!   the account is chosen in the brokerage session (`client-portal-api.md` §2, "Order status").
//! - Positions come from trades: a week of seeded executions (5 weekday sessions, the last a
//!   quarter hour before start), so `/iserver/account/trades?days=7` (IBKR's maximum; default
//!   one day, cpapi-v1 "Trades"), the positions, the ledger's cash and the Flex statement agree.
//! - `/portfolio/{acct}/positions/{page}` is cached from its first call until
//!   `POST /portfolio/{acct}/positions/invalidate` (ibind-anchor §1 #64; cpapi-v1 "Invalidate
//!   Backend Portfolio Cache"); `/portfolio2/{acct}/positions` and
//!   `/portfolio/{acct}/position/{conid}` are live.
//! - `/iserver/account/{acct}/summary` has `accountType` `INDIVIDUAL` (the portfolio summary's
//!   `accounttype`) and `status` `O` (the clearing status of `/portfolio/accounts`).
//! - `/iserver/reauthenticate` answers `{"message":"triggered"}` (cpapi-v1) and opens the
//!   brokerage session.
//!
//! Watchlists, alerts, allocation, scanner, FYI:
//! - Watchlists are kept per simulator: create (an existing id is replaced), list (`MID`
//!   counts up), show (instrument rows; headers left out), delete (id in the query or, as ibind
//!   sends it, in a JSON body; ibind-anchor §1 #86).
//! - Alerts per account: ids below 2^31 (the spec types them int32); id 0 activates or deletes
//!   all (cpapi-v1); a price condition (`type` 1) that holds at the last price shows
//!   `alert_triggered`.
//! - Allocation groups: methods A, E, N, C, P, R, S; duplicate names, unknown groups and
//!   accounts answer 400. FA models keep their targets (summing to 1) and invested amounts.
//! - Scanner: the parameter tree lists instruments `STK`, `ETF.EQ.US`, locations
//!   `STK.US.MAJOR` > `STK.NASDAQ`/`STK.NYSE`/`STK.ARCA`, scan types (`TOP_PERC_GAIN`,
//!   `TOP_PERC_LOSE`, `MOST_ACTIVE`, `TOP_TRADE_COUNT`, `HOT_BY_VOLUME`, `TOP_PRICE_RANGE`,
//!   `HIGH_VS_52W_HL`) and filters (`priceAbove`, `priceBelow`, `volumeAbove`,
//!   `changePercAbove`, `changePercBelow`); a run ranks the catalog's US listings by the scan
//!   type on the simulator's live quotes, at most 50 rows, `column_name` on the first row.
//! - FYI: three seeded unread notifications; marking read lowers `BN`; settings per type code,
//!   email and device delivery are remembered.
//!
//! Bad input: unknown accounts, conids, watchlists, alerts, groups, models, notification types
//! and devices, a malformed or non-object JSON body, or a missing required field answer 400 in
//! the gateway's bad-request shape `{"error":"Bad Request: ..","statusCode":400}`
//! (ERROR_400_no_bridge__ibind_issue44.json); no handler panics or answers 500 on input.
//!
//! Spec conflicts resolved in favour of decoding (the spec types these int32 while IBKR sends
//! other values, so they are left out): contract rules `increment`, `incrementRules`,
//! `limitPrice`, `stopPrice`; `/pa/transactions` `from`, `to`, `amt`, `pr`; currency pairs
//! `ccyPair`; alert details `condition_trigger_method` and `condition_logic_bind`, MTA `tool_id`.
//! `POST /iserver/notification` keeps the real plain-text `Success` although the spec declares JSON.
//!
//! Orders (`client-portal-api.md` §3, ibind-anchor §3):
//! - Questions `[{"id","message":[..],"isSuppressed":false,"messageIds":[..]}]`, one at a time,
//!   in this order: o354 (no snapshot was requested for the conid in this session), o163
//!   (limit or stop price more than 3 % from last), o383 (quantity above 5,000), o451 (value
//!   above 100,000 USD), o10331 (stop orders; o0 on modify). Texts from the fixtures and the
//!   spec's suppress description; thresholds in [`crate::Precautions`].
//! - Reply ids are single-use; any other gateway request in between cancels the order
//!   (cpapi-v1); a stale id answers 400 `{"error":"reply id not found: '<id>'"}` (ibind #103).
//! - `confirmed:false` discards the order and answers `{"error":"Order not confirmed "}`
//!   (POST_iserver_reply_{replyId}__spec_error.json).
//! - Rejects are HTTP 200 `{"error":...}` (unknown conid, zero quantity, bad side/type,
//!   missing price; a limit more than 50 % through the market gets IBKR's text from
//!   POST_iserver_account_{accountId}_orders__reject_200.json).
//! - Suppression lasts for the brokerage session; reset clears it.
//! - Market orders fill at the last price; marketable limits fill; resting orders fill when a
//!   snapshot or `control().set_last_price` moves the price through them. Fills update
//!   positions, cash (commission USD 0.005/share, min 1), ledger, summary, P&L and trades.
//! - Cancel answers `{"msg":"Request was submitted",...}`; unknown orders
//!   `{"error":"OrderID N doesn't exist"}`; `-1` cancels all. Unknown order status → 503
//!   (`client-portal-api.md` §2).
//!
//! Flex (`flex-web-service.md` §1): 1019 for the first `pending_polls` polls; 1018 when one
//! token polls faster than `min_interval` (IBKR: 1/s); 1012 for the expired token, 1015 for an
//! unknown token, 1014 for an unknown query, 1017 for an unknown reference code, 1020 without
//! a token; the legacy servlet paths answer 1001 (ibflex PR #108). The statement is built from
//! the simulator's trades (five seeded historical ones plus the session's), open positions,
//! cash transactions (a seeded deposit and dividend) and conversion rates, with IB default
//! formats and attribute names of the real statements in `fixtures/flex/activity/`.
//!
//! Faults ([`crate::Fault`]): added latency, any status with an empty body (e.g. 503),
//! truncated JSON, an HTML error page with status 200, dropped connections; per path pattern
//! and method, for the next N requests or until cleared, at build time or through `control()`.
//!
//! # WebSocket (`/v1/api/ws`, `sim/src/ws`)
//!
//! Sources: `websocket.md` (connecting, topics, message shapes, quirks 1–5), `client-portal-api.md`
//! §5, and the frames in `fixtures/cp/WS_*` (smd, sor, spl, sts, unsolicited, session handshake).
//!
//! - The upgrade authenticates with `Cookie: api={"session":"<tickle session>"}` (or `api=<id>`,
//!   ibind's OAuth form) or `?oauth_token=` (any non-empty token is accepted); a wrong or
//!   rolled session id is refused with 401; no credential at all gets
//!   `{"message":"waiting for session"}` and then `{"session":..}` is heard
//!   (WS_session_handshake__oauth_doc_damian-ib.txt).
//! - The server speaks first: `system` (`success`), `sts`, `act`; frames the client sends
//!   before `system` are dropped (`websocket.md`, measured). Delay: `SocketSettings::system_delay`.
//! - `{"topic":"system","hb":ms}` every `heartbeat` (10 s); `tic` answers `{"topic":"tic",..,"lastAccessed"}`.
//! - `smd`: only changed fields after the first frame, formatted by the REST snapshot's own
//!   formatter from the same quotes (so REST and stream agree); subscribed quotes step the
//!   seeded walk every `tick`; streams stop silently after `md_expiry` (10 min) unless renewed
//!   (quirk 3); an unknown conid answers `{"topic":"smd+<c>","error":"invalid conid"}`.
//! - `sor` (deltas by `orderId`, WS_sor_messages), `str` (new executions), `spl` (every
//!   `pnl_interval`, WS_spl_message), `ssd` (changed keys), `sld` (LedgerListBASE/USD), `sbd`
//!   (ten ladder rows), `smh` (one answer with `serverId`, at most 5), `ntf` with `args` as an
//!   array and order prompts, `blt`; `usd`/`uld` answer `{"result":"unsubscribed from ..."}`.
//! - Quirks through `control().socket()`: `refuse_sor(n)` (quirk 1, `{"error":"unable to
//!   subscribe","code":500,"topic":"sor"}`), `roll_session()` (quirk 2: heartbeats continue,
//!   data stops, the old id is refused), `set_md_expiry` (quirk 3), `silence()` (quirk 4: no
//!   frame at all, socket open), `drop_connections()` (no close frame), `set_heartbeats(false)`,
//!   `set_ignore_cookie(true)` (every socket starts with `waiting for session`); `sts` is sent
//!   again when the brokerage session changes.
//! - Shapes not in any source (sim's choice): `ssd` rows `{key,currency,monetaryValue,value,
//!   severity,timestamp}` under `args`, `sld` row keys, `sbd` rows under `data`.
//!
//! # api.ibkr.com's OAuth (`sim/src/oauth`, on with `.oauth1()` / `.oauth2()` / `--oauth DIR`)
//!
//! Protocol facts from the project's `oauth.md` (IBKR's "OAuth 1.0a extended" and "compute
//! live session token" pages, spec 2.29.0, ibind, IbkrDotNet):
//! - `POST /v1/api/oauth/live_session_token`: `Authorization: OAuth realm=..., k="v"` with
//!   `oauth_signature_method=RSA-SHA256` over `prepend + METHOD&pct(url)&pct(params)` (no
//!   query); `diffie_hellman_challenge` A; answer `diffie_hellman_response` B,
//!   `live_session_token_signature` = hex HMAC-SHA1(LST, consumer key),
//!   `live_session_token_expiration` (epoch ms, 24 h). K = A^b mod p with Java's 0x00 sign
//!   byte; LST = HMAC-SHA1(K, prepend bytes) (spec `reqLiveSessionToken` example shape).
//! - Every other request: HMAC-SHA256 under the LST; timestamps more than 5 minutes off and
//!   reused nonces answer 401. The WebSocket upgrade passes with `?oauth_token=`.
//! - Unknown consumer: `401 {"error":"id: N, error: invalid consumer","statusCode":401}`
//!   (nsirons/ibkr_web_client issue #4; the other 401 texts use the same shape, their
//!   wording is the simulator's).
//! - OAuth 2.0: `POST /oauth2/api/v1/token` (form: client_credentials, jwt-bearer assertion
//!   RS256 with `kid`, iss = sub = client id, aud `/token`, exp) answers `TokenResponse`
//!   (spec); `POST /gw/api/v1/sso-sessions` (Bearer access token, `application/jwt` body with
//!   `credential`, `ip`, iss, exp; `ip` required by the spec's `CreateSessionRequest`)
//!   answers `CreateSessionResponse` (`access_token`, `active`, `token_type`). Refusals use
//!   the spec's Problem-detail shape (`InvalidAccessTokenResponse`). The IP is checked
//!   against the configured client IP (127.0.0.1), not the socket's peer.
//! - Fault hooks (`control().oauth()`): the sign-byte case forced, tokens expired, a wrong
//!   token signature, and `ssodh/init` refused with `500 {"error":"failed to generate sso dh
//!   token"}` (ibind issue #152, a paper account over OAuth).
//!
//! # Not modelled
//!
//! OAuth's third-party flow beyond its token calls (the portal's authorisation step and the
//! consumer's RSA signature), the live-orders pre-flight, server prompts
//! (p12), bracket/OCA semantics (orders in one submission are independent), partial fills,
//! combo positions (always empty), alert triggering beyond price conditions, FA model
//! rebalancing orders, the account-management write operations, market hours for order
//! execution, and time zones beyond a fixed US session.
