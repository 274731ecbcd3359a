//! The session and the accounts of this login.
//!
//! `cargo run -p ibkr-ext --example session_and_accounts` (simulator), or with
//! `IBKR_GATEWAY_URL=https://localhost:5000/v1/api` against your gateway.

mod common;

#[tokio::main]
async fn main() -> Result<(), common::BoxError> {
    let ex = common::connect().await?;
    let state = ex.ibkr.auth_status().await?;
    println!(
        "logged in: {}, authenticated: {}, competing: {}",
        state.logged_in, state.authenticated, state.competing
    );
    let accounts = ex.ibkr.accounts().await?;
    println!("accounts: {accounts:?} (using {})", ex.account);
    let tickled = ex.ibkr.tickle().await?;
    println!("after /tickle, healthy: {}", tickled.is_healthy());
    Ok(())
}
