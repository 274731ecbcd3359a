//! A headless login: one protocol's [`Handshake`] with a [`TokenCell`] and the API root,
//! as the wire's [`RequestSigner`] and the session owner's [`Authority`]. Written once for
//! both protocols; what differs between OAuth 1.0a and OAuth 2.0 is behind the trait.
//!
//! Locks: those of the cell (see [`super::cell`]) and the root's, which is never held
//! across an `.await`.

use std::future::Future;
use std::sync::Arc;
use std::time::SystemTime;

use ibkr_gen::Secret;
use ibkr_gen::wire::{HookFuture, RecoveryFuture, RequestSigner, SignError};
use reqwest::Request;

use super::cell::{Held, Issued, TokenCell};
use super::{ApiRoot, AuthMode, Authority, OAUTH_BASE_URL};

/// What a protocol adds to the shared login: its handshake and how a token signs.
pub(crate) trait Handshake: Send + Sync + 'static {
    /// The token the handshake gives (kept in a [`TokenCell`]; no `Debug`).
    type Token: Send + Sync + 'static;

    /// Which login this is.
    const MODE: AuthMode;

    /// Get a new token, sending to `root`. `kept` is the token being replaced because it
    /// is due: parts of it that are still fresh may be kept. `None` when there is none,
    /// or when IBKR refused it (nothing of it is trusted).
    fn handshake(
        &self,
        http: &reqwest::Client,
        root: &ApiRoot,
        kept: Option<&Self::Token>,
    ) -> impl Future<Output = Result<Issued<Self::Token>, SignError>> + Send;

    /// Add the authorisation for `token` to one attempt.
    fn authorize(&self, token: &Self::Token, request: &mut Request) -> Result<(), SignError>;

    /// The token the WebSocket sends as `?oauth_token=`, if any.
    fn socket_token(&self) -> Option<Secret> {
        None
    }
}

/// One login: the protocol, where it sends its handshakes, and its token.
pub(crate) struct Login<P: Handshake> {
    protocol: P,
    root: ApiRoot,
    cell: TokenCell<P::Token>,
}

impl<P: Handshake> Login<P> {
    pub(crate) fn new(protocol: P) -> Self {
        Login {
            protocol,
            root: ApiRoot::default(),
            cell: TokenCell::default(),
        }
    }

    /// A fresh token: the one held, or one handshake's for everyone who asks meanwhile.
    async fn token(&self, http: &reqwest::Client) -> Result<Arc<Held<P::Token>>, SignError> {
        self.cell
            .get(|kept| async move {
                let kept = kept.as_deref().map(|t| &t.value);
                self.protocol.handshake(http, &self.root, kept).await
            })
            .await
    }
}

impl<P: Handshake> RequestSigner for Login<P> {
    fn sign<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: &'a mut Request,
    ) -> HookFuture<'a, Result<(), SignError>> {
        Box::pin(async move {
            self.root.learn(request.url());
            let token = self.token(http).await?;
            self.protocol.authorize(&token.value, request)
        })
    }

    fn renew<'a>(&'a self, http: &'a reqwest::Client) -> RecoveryFuture<'a> {
        Box::pin(async move {
            let seen = self.cell.generation();
            let renewed = self
                .cell
                .renew(seen, |_| self.protocol.handshake(http, &self.root, None))
                .await;
            match renewed {
                Ok(_) => true,
                Err(e) => {
                    tracing::warn!(login = %P::MODE, step = e.step, reason = %e.reason, "renewal after 401 failed");
                    false
                }
            }
        })
    }
}

impl<P: Handshake> Authority for Login<P> {
    fn mode(&self) -> AuthMode {
        P::MODE
    }

    fn default_base_url(&self) -> &str {
        OAUTH_BASE_URL
    }

    fn expires_at(&self) -> Option<SystemTime> {
        self.cell.current().map(|t| t.expiry.expires)
    }

    fn socket_token(&self) -> Option<Secret> {
        self.protocol.socket_token()
    }

    fn login<'a>(&'a self, http: &'a reqwest::Client) -> HookFuture<'a, crate::Result<()>> {
        Box::pin(async move {
            self.token(http)
                .await
                .map(|_| ())
                .map_err(|e| crate::Error::OAuth {
                    step: e.step,
                    reason: e.reason,
                })
        })
    }

    fn bind_base_url(&self, base_url: &str) {
        self.root.set(base_url);
    }

    fn last_failure(&self) -> Option<String> {
        self.cell.last_failure().map(|e| e.to_string())
    }
}
