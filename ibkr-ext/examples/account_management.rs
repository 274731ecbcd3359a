//! Account management (`/gw/api`): an account's details and status, and IBKR's forms,
//! through the same session as trading.
//!
//! `cargo run -p ibkr-ext --example account_management` (simulator). Against IBKR this API
//! needs OAuth 2.0 (`Ibkr::builder().oauth2(..)`); see the `oauth_login` example.

mod common;

#[tokio::main]
async fn main() -> Result<(), common::BoxError> {
    let ex = common::connect().await?;
    let (ibkr, account) = (&ex.ibkr, ex.account.as_str());
    let admin = ibkr.account_management();
    let details = admin.get_account_details().account_id(account).await?;
    println!("details of {account}: {}", serde_json::to_string(&details)?);
    let status = admin.get_account_status().account_id(account).await?;
    println!("status: {}", serde_json::to_string(&status)?);
    let forms = admin.get_forms().await?;
    println!("forms: {}", serde_json::to_string(&forms)?.len());
    Ok(())
}
