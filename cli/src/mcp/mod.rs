//! `ibkr mcp`: the account and the market for AI assistants over the Model Context
//! Protocol (the official Rust SDK, `rmcp`), read-only by default, trading only behind
//! explicit guards.
//!
//! - [`tools`]: the read-only tools, always present; [`trading`]: `place_order`,
//!   `modify_order`, `cancel_order` (with `--trading`) and `cancel_all_orders` (with
//!   `--allow-cancel-all` as well).
//! - [`guards`]: allowed accounts, paper only, the notional cap, the order budget.
//! - [`confirm`]: the confirmations `preview_order` hands out and `place_order` spends.
//! - [`audit`]: the JSONL audit file.
//! - [`http`]: the streamable HTTP transport (`--http ADDR`).
//!
//! **Concurrency.** The server holds one [`Ibkr`] session; every tool call goes through it,
//! so it is paced and placing runs in the SDK's order lane like any other call. rmcp runs
//! each request as its own task, so a slow call (history, Flex) never blocks the transport
//! or other calls. The shared state has one owner each, and no lock is held across an
//! `.await` or while taking another lock: [`Confirmations`] (its mutex), the order budget
//! (an atomic in [`Guards`]), the [`Audit`] file (its mutex), the Flex cache (its mutex).
//! A placing call takes them in this order, one at a time: the guards read-only, the
//! confirmation (spent), the order budget (one slot), then the order lane inside the SDK,
//! then the audit line.
//!
//! **Errors.** A tool error is a result with `isError: true` and structured content
//! (`error`, `message`, `next`, and `field` for a bad argument); it never ends the server.
//! Arguments that do not parse are tool errors naming the field, too.
//!
//! With the stdio transport, stdout carries the protocol only: nothing else here prints
//! to it (progress and logs go to stderr).

pub mod audit;
pub mod confirm;
pub mod guards;
pub mod http;
pub mod params;
pub mod result;
pub mod tools;
pub mod trading;

// They drive the embedded simulator.
#[cfg(all(test, feature = "sim"))]
mod tests;

use std::sync::{Arc, Mutex};

use ibkr_ext::prelude::*;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use rust_decimal::Decimal;
use serde_json::json;

use self::audit::Audit;
use self::confirm::Confirmations;
use self::guards::Guards;
use crate::args::{Global, McpArgs};
use crate::failure::{self, Failure};

/// Where `flex_statement` fetches from.
#[derive(Clone)]
pub enum FlexSource {
    /// The simulator's Flex service and its token.
    Sim { base: String },
    /// IBKR, with the token from `IBKR_FLEX_TOKEN` (read when a fetch is asked for).
    Ibkr,
}

/// What the server shares between calls (and HTTP sessions).
pub struct Shared {
    pub ibkr: Ibkr,
    pub guards: Guards,
    pub answers: AnswerPolicy,
    /// The `--answer` flags as given (what `session_status` shows).
    pub answer_flags: Vec<String>,
    pub confirmations: Confirmations,
    pub audit: Audit,
    pub trading: bool,
    pub allow_cancel_all: bool,
    pub flex: FlexSource,
    /// The last Flex statement fetched: (query id, report).
    pub flex_cache: Mutex<Option<(String, Arc<ibkr_flex::GenericReport>)>>,
    /// The embedded simulator, kept running as long as the server (never read).
    pub _sim: Option<crate::sim::Simulator>,
}

/// The MCP server: the shared state and the tools this run offers.
#[derive(Clone)]
pub struct IbkrMcp {
    pub shared: Arc<Shared>,
    router: ToolRouter<IbkrMcp>,
}

/// The tools whose every call is audited.
pub const AUDITED_TOOLS: &[&str] = &[
    "preview_order",
    "place_order",
    "modify_order",
    "cancel_order",
    "cancel_all_orders",
];

/// What the server is told about itself, for the assistant.
const INSTRUCTIONS: &str = "Interactive Brokers through the ibkr-rs SDK. Read-only tools are always present. \
To trade: preview_order first and show the user the preview; place_order then needs the preview's \
confirmation (one use, 5 minutes, bound to the exact ticket). IBKR's order questions come back \
unanswered: show them to the user, never assume yes. Money is exact decimal text. An outcome \
`state_unknown` means the order may be live: check orders before doing anything else.";

impl IbkrMcp {
    pub fn new(shared: Shared) -> IbkrMcp {
        let mut router = Self::read_router();
        router.merge(Self::preview_router());
        if shared.trading {
            router.merge(Self::trading_router());
            if shared.allow_cancel_all {
                router.merge(Self::cancel_all_router());
            }
        }
        IbkrMcp {
            shared: Arc::new(shared),
            router,
        }
    }
}

impl ServerHandler for IbkrMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(rmcp::model::Implementation::new(
                "ibkr",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(INSTRUCTIONS.to_string())
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let tool = request.name.clone();
        let arguments = request.arguments.clone();
        let tcc = ToolCallContext::new(self, request, context);
        match self.router.call(tcc).await {
            // Arguments that do not parse: a tool error naming the field, so the
            // assistant can fix the call; the server keeps answering.
            // (Only ours carry the field: an unknown tool stays a protocol error.)
            Err(e) if let Some(field) = params::field_of(&e) => {
                let mut result = CallToolResult::structured_error(json!({
                    "error": "invalid_argument",
                    "field": field,
                    "message": e.message,
                    "next": "fix this argument (see the tool's input schema) and call again",
                }));
                if let Some(tool) = AUDITED_TOOLS.iter().find(|t| **t == tool) {
                    // A refused trading call is audited too; the confirmation stays out.
                    let mut ticket = serde_json::Value::Object(arguments.unwrap_or_default());
                    if let Some(o) = ticket.as_object_mut() {
                        o.remove("confirmation");
                    }
                    self.write_audit(
                        audit::Entry {
                            tool,
                            outcome: "refused",
                            ticket,
                            order_ids: Vec::new(),
                            client_order_ids: Vec::new(),
                            message: Some(e.message.to_string()),
                        },
                        &mut result,
                    );
                }
                Ok(result.into())
            }
            other => other,
        }
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.router.list_all()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.router.get(name).cloned()
    }
}

/// Build the shared state from the options and a connected session.
pub fn shared(args: &McpArgs, session: crate::context::Session) -> Result<Shared, Failure> {
    let answers = crate::context::parse_answers(&args.answers)?;
    if args.max_notional <= Decimal::ZERO {
        return Err(Failure::usage("--max-notional must be above 0"));
    }
    let audit_path = args.audit.clone().unwrap_or_else(audit::default_path);
    let audit = Audit::open(&audit_path).map_err(|e| {
        Failure::usage(format!(
            "cannot open the audit file {}: {e} (choose another with --audit FILE)",
            audit_path.display()
        ))
    })?;
    let flex = match &session.sim {
        Some(sim) => FlexSource::Sim {
            base: sim.flex_base_url().to_string(),
        },
        None => FlexSource::Ibkr,
    };
    Ok(Shared {
        ibkr: session.ibkr,
        guards: Guards::new(
            args.account.clone(),
            args.live,
            args.max_notional,
            args.max_orders,
        ),
        answers,
        answer_flags: args.answers.clone(),
        confirmations: Confirmations::default(),
        audit,
        trading: args.trading,
        allow_cancel_all: args.allow_cancel_all,
        flex,
        flex_cache: Mutex::new(None),
        _sim: session.sim,
    })
}

/// `ibkr mcp`: connect, then serve stdio (or HTTP with `--http`) until the client leaves.
pub async fn run(global: &Global, args: McpArgs) -> Result<(), Failure> {
    if let Some(addr) = args.http {
        http::check_bind(addr, args.bind_public, args.bearer_token_file.as_deref())?;
    }
    let session = crate::context::connect(global, global.sim).await?;
    let shared = shared(&args, session)?;
    note!(
        "ibkr mcp: {} tools, trading {}, audit {}",
        IbkrMcp::new_counting(&shared),
        if shared.trading { "on" } else { "off" },
        shared.audit.path().display()
    );
    let server = IbkrMcp::new(shared);
    match args.http {
        Some(addr) => http::serve(server, addr, args.bearer_token_file.as_deref()).await,
        None => {
            let running = server
                .serve(rmcp::transport::stdio())
                .await
                .map_err(|e| Failure::new(failure::GENERAL, format!("mcp: {e}")))?;
            running
                .waiting()
                .await
                .map_err(|e| Failure::new(failure::GENERAL, format!("mcp: {e}")))?;
            Ok(())
        }
    }
}

impl IbkrMcp {
    /// How many tools a server with these options offers.
    fn new_counting(shared: &Shared) -> usize {
        let mut n = Self::read_router().list_all().len() + Self::preview_router().list_all().len();
        if shared.trading {
            n += Self::trading_router().list_all().len();
            if shared.allow_cancel_all {
                n += Self::cancel_all_router().list_all().len();
            }
        }
        n
    }
}
