//! The handle of a running simulator: its URLs, certificate, inspector, controls and shutdown.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::control::Control;
use crate::inspect::Inspector;
use crate::lock::{Urls, lock};
use crate::shared::Shared;

#[derive(Debug)]
struct Handle {
    shared: Arc<Shared>,
    addr: SocketAddr,
    urls: Urls,
    cert_pem: Option<String>,
    stop: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        self.shared.ws.close_all();
        if let Some(task) = lock(&self.task).take() {
            task.abort();
        }
    }
}

/// A running simulator. Cheap to clone; the server stops when the last clone is dropped or
/// [`RunningGateway::shutdown`] is called.
#[derive(Debug, Clone)]
pub struct RunningGateway {
    inner: Arc<Handle>,
}

impl RunningGateway {
    pub(crate) fn new(
        shared: Arc<Shared>,
        addr: SocketAddr,
        urls: Urls,
        cert_pem: Option<String>,
        stop: watch::Sender<bool>,
        task: JoinHandle<()>,
    ) -> Self {
        RunningGateway {
            inner: Arc::new(Handle {
                shared,
                addr,
                urls,
                cert_pem,
                stop,
                task: Mutex::new(Some(task)),
            }),
        }
    }

    /// The gateway base URL, e.g. `https://127.0.0.1:49152/v1/api`.
    pub fn base_url(&self) -> &str {
        &self.inner.urls.base
    }

    /// The Flex Web Service base URL, e.g.
    /// `https://127.0.0.1:49152/AccountManagement/FlexWebService` (`SendRequest` and
    /// `GetStatement` are under it).
    pub fn flex_base_url(&self) -> &str {
        &self.inner.urls.flex_base
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    /// The PEM of the self-signed certificate (for clients to pin); `None` over plain HTTP.
    pub fn cert_pem(&self) -> Option<String> {
        self.inner.cert_pem.clone()
    }

    /// What the simulator received and decided.
    pub fn inspect(&self) -> Inspector {
        Inspector::new(Arc::clone(&self.inner.shared))
    }

    /// Switches that change the simulator while it runs.
    pub fn control(&self) -> Control {
        Control::new(Arc::clone(&self.inner.shared))
    }

    /// Stop accepting connections, close the open ones and wait for the server task to end.
    pub async fn shutdown(&self) {
        let _ = self.inner.stop.send(true);
        // Upgraded WebSockets live outside the accept loop: close them too.
        self.inner.shared.ws.close_all();
        let task = lock(&self.inner.task).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }

    /// Serve until Ctrl-C, then shut down.
    pub async fn run_until_ctrl_c(&self) -> Result<(), crate::SimError> {
        tokio::signal::ctrl_c()
            .await
            .map_err(crate::SimError::Signal)?;
        self.shutdown().await;
        Ok(())
    }
}
