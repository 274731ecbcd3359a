//! Orders: `order preview|place`, `orders` and `cancel`.

use ibkr_ext::orders::OrderType;
use ibkr_ext::prelude::*;
use serde_json::json;

use crate::args::{OrderArgs, OrderTypeArg, SideArg, TifArg};
use crate::context::{Session, one_line, parse_answers, ready};
use crate::failure::{self, Failure};
use crate::output;

/// `ibkr order preview` (`place: false`) and `ibkr order place`.
pub async fn order(s: &Session, a: &OrderArgs, place: bool) -> Result<(), Failure> {
    if place && !a.yes {
        return Err(Failure::usage(
            "refusing to place an order without --yes (use `ibkr order preview` to see what it would do)",
        ));
    }
    let policy = parse_answers(&a.answers)?;
    let (ibkr, _account) = ready(s).await?;
    let conid = match (a.conid, &a.symbol) {
        (Some(c), _) => Conid(c),
        (None, Some(sym)) => ibkr.resolve_conid(sym.as_str()).await?,
        (None, None) => return Err(Failure::usage("give --conid or --symbol")),
    };
    let side = match a.side {
        SideArg::Buy => Side::Buy,
        SideArg::Sell => Side::Sell,
    };
    let mut ticket = OrderTicket::new(conid, side, a.quantity).tif(match a.tif {
        TifArg::Day => TimeInForce::Day,
        TifArg::Gtc => TimeInForce::Gtc,
        TifArg::Ioc => TimeInForce::Ioc,
    });
    let need = |p: Option<rust_decimal::Decimal>, what: &str| {
        p.ok_or_else(|| Failure::usage(format!("--type {what} needs --price")))
    };
    ticket = match a.order_type {
        OrderTypeArg::Mkt => ticket.order_type(OrderType::Market),
        OrderTypeArg::Lmt => ticket.limit(need(a.price, "LMT")?),
        OrderTypeArg::Stp => ticket.stop(need(a.price, "STP")?),
        OrderTypeArg::StpLimit => {
            let stop = a
                .stop_price
                .ok_or_else(|| Failure::usage("--type STP_LIMIT needs --stop-price and --price"))?;
            ticket.stop_limit(stop, need(a.price, "STP_LIMIT")?)
        }
    };
    if !place {
        let preview = ibkr.preview(ticket).await?;
        output::preview(s.json(), &preview)?;
        return Ok(());
    }
    let outcome = ibkr.place(ticket, &policy).await;
    report_outcome(s.json(), outcome)
}

/// Print an order's outcome; anything but a placed order is a failure (exit 4).
fn report_outcome(json: bool, outcome: ibkr_ext::Result<OrderOutcome>) -> Result<(), Failure> {
    match outcome {
        Ok(OrderOutcome::Submitted {
            order_id, status, ..
        }) => {
            if json {
                crate::print::json(&json!({"order_id": order_id, "status": status}))?;
            } else {
                say!("order {order_id}: {status}")?;
            }
            Ok(())
        }
        Ok(OrderOutcome::PartlySubmitted {
            orders,
            rejected,
            declined,
            prompt,
        }) => {
            let live: Vec<String> = orders
                .iter()
                .map(|o| format!("{} ({})", o.order_id, o.status))
                .collect();
            if json {
                crate::print::json(&json!({
                    "outcome": "partly_submitted",
                    "orders": orders,
                    "rejected": rejected,
                    "declined": declined,
                    "prompt": prompt,
                }))?;
            }
            let mut why: Vec<String> = rejected
                .iter()
                .map(|r| format!("rejected: {}", one_line(r)))
                .collect();
            why.extend(declined.iter().map(|d| {
                format!(
                    "declined [{}]: {}",
                    d.message_ids.join(","),
                    one_line(&d.text)
                )
            }));
            if let Some(p) = &prompt {
                why.push(format!("prompt unanswered: {}", one_line(&p.text)));
            }
            Err(Failure::new(
                failure::ORDER_PARTLY_PLACED,
                format!(
                    "order group PARTLY placed: live now: {}; not placed: {}. Cancel the live orders (ibkr cancel ID) or keep them; do not resend the group",
                    live.join(", "),
                    why.join("; ")
                ),
            ))
        }
        Ok(OrderOutcome::Declined(DeclinedQuestion {
            message_ids,
            text,
            reason,
        })) => Err(Failure::new(
            failure::ORDER_NOT_PLACED,
            match reason {
                DeclineReason::AnsweredNo => format!(
                    "order declined (confirmed:false sent) on question [{}]: {}",
                    message_ids.join(","),
                    one_line(&text)
                ),
                DeclineReason::Unanswered => format!(
                    "order not placed: IBKR asked [{}] \"{}\"; it was declined because no --answer covers it (add --answer {}=yes to confirm)",
                    message_ids.join(","),
                    one_line(&text),
                    message_ids.first().map(String::as_str).unwrap_or("MSGID")
                ),
            },
        )),
        Ok(OrderOutcome::Prompt(p)) => Err(Failure::new(
            failure::ORDER_NOT_PLACED,
            format!(
                "IBKR asks you to choose ({}): {} options: {}",
                p.message_id.unwrap_or_default(),
                one_line(&p.text),
                p.options.join(" / ")
            ),
        )),
        Err(e) => Err(e.into()),
    }
}

/// `ibkr orders`.
pub async fn orders(s: &Session) -> Result<(), Failure> {
    s.ibkr.ensure_brokerage_session().await?;
    let live = s.ibkr.live_orders().await?;
    output::orders(s.json(), &live)?;
    Ok(())
}

/// `ibkr cancel`.
pub async fn cancel(s: &Session, id: &str) -> Result<(), Failure> {
    let (ibkr, _) = ready(s).await?;
    let ack = ibkr.cancel(id).await?;
    if s.json() {
        crate::print::json(&json!({"message": ack.message, "order_id": ack.order_id}))?;
    } else {
        say!("{}", ack.message)?;
    }
    Ok(())
}
